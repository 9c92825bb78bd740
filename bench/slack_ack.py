"""How fast `/incident declare` is acknowledged, and how fast the incident channel is usable.

Starts the Slack double with 100 ms added to every Web API call, starts the bot
(`python -m bot serve`, HTTP mode, a fresh SQLite database, the shipped
configuration), sends signed `/incident declare` commands as Slack does and prints:

* the acknowledgement time (HTTP response to Slack; target < 300 ms), and
* the time until the channel exists with the reporter in it and the first
  message posted (target < 1 s).

    python bench/slack_ack.py [--runs 10] [--latency 0.1]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.slack.double import SlackDouble  # noqa: E402
from bot.slack.double.bot_process import BotProcess  # noqa: E402
from bot.slack.double.sender import SlackSender  # noqa: E402

REPORTER = "U0BENCH01"


def usable(double: SlackDouble, prefix: str) -> bool:
    with double.model.lock:
        channel = next((c for c in double.model.channels.values() if c.name.startswith(prefix)), None)
        return bool(channel and REPORTER in channel.members and double.model.messages_in(channel.id))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every Slack API call")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every run")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, SlackDouble() as double:
        double.model.lenient_users = True
        double.model.add_user(REPORTER, "bench", "Europe/Berlin")
        for name in ("incidents", "support-escalations", "exec-updates"):
            double.model.add_channel(name)
        bot = BotProcess(api_url=double.api_url, database_url=f"sqlite:///{tmp}/bench.db",
                         config_dir=ROOT / "config", playbooks_dir=ROOT / "playbooks", log_path=Path(tmp) / "bot.log")
        try:
            bot.wait_ready(timeout=60)
            double.faults.latency = args.latency
            slack = SlackSender(f"{bot.url}/slack/events", f"{double.url}/webhook")
            acks, ready = [], []
            for run in range(1, args.runs + 1):
                started = time.monotonic()
                response = slack.command(f"declare sev3 bench run {run}", user=REPORTER)
                if response.status != 200:
                    print(f"run {run}: HTTP {response.status} {response.body}\n{bot.log()}", file=sys.stderr)
                    return 1
                acks.append(response.elapsed)
                double.wait_for(lambda: usable(double, f"inc-{run}-bench-run-{run}"), timeout=30,
                                interval=0.005, what=f"channel of run {run}")
                ready.append(time.monotonic() - started)
                if args.verbose:
                    print(f"run {run}: ack {acks[-1] * 1000:.0f} ms, usable {ready[-1] * 1000:.0f} ms")
                time.sleep(0.5)  # let the background steps of this run finish before the next
        finally:
            bot.stop()
    print(f"Slack API latency added to every call: {args.latency * 1000:.0f} ms; {args.runs} declarations")
    for label, values, target in (("acknowledgement of /incident declare", acks, 0.3),
                                  ("channel usable (created, reporter in, first message)", ready, 1.0)):
        p95 = sorted(values)[max(0, int(round(0.95 * len(values))) - 1)]
        verdict = "OK" if p95 < target else "SLOWER THAN TARGET"
        print(f"{label}: median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
              f"max {max(values) * 1000:.0f} ms (target < {target * 1000:.0f} ms: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
