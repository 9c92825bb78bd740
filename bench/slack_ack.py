"""How fast `/incident declare` is acknowledged, side by side with a bare slack_bolt app, and how fast
the incident channel is usable.

Starts the Slack double with 100 ms added to every Web API call, the bot (`python -m bot serve`, HTTP
mode, its scheduler and outbox worker inside, a fresh SQLite database, the shipped configuration) and a
bare slack_bolt app that only acknowledges (`bench/bare_bolt_app.py`: the same bolt + waitress stack,
the same double). Then:

1. back to back: `--runs` signed `/incident declare` commands to each app, each sent as soon as the
   previous one was acknowledged (the bot meanwhile declares, writes the outbox and works through
   it); prints p50 and p99 of the acknowledgement time for both and the bot/bare ratio
   (target: the bot's p99 within 1.5x of the bare app's);
2. once the bot's outbox has done the burst's Slack calls, one declaration at a time: the time until
   the channel is usable: created, the reporter in it, the first message posted (target < 1 s).

Both in two layouts, one after the other: one process (``serve`` with its scheduler inside, the quick
start) and web + worker (``serve --no-scheduler`` beside ``scheduler``, Procfile's scale-out).

    python bench/slack_ack.py [--runs 100] [--usable-runs 5] [--latency 0.1] [--layout one|split|both]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.slack.double import SlackDouble  # noqa: E402
from bot.slack.double.bot_process import BotProcess, free_port  # noqa: E402
from bot.slack.double.sender import SlackSender  # noqa: E402

REPORTER = "U0BENCH01"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(p / 100 * len(ordered))) - 1))]


def start_bare(api_url: str, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare_bolt_app.py"), str(port), api_url],
                            cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit(f"the bare bolt app did not start:\n{log.read_text()[-2000:]}")


def back_to_back(sender: SlackSender, runs: int, label: str) -> list[float]:
    acks = []
    for run in range(1, runs + 1):
        response = sender.command(f"declare sev3 {label} {run}", user=REPORTER)
        if response.status != 200:
            raise SystemExit(f"{label} run {run}: HTTP {response.status} {response.body}")
        acks.append(response.elapsed)
    return acks


def usable(double: SlackDouble, title_slug: str) -> bool:
    """The channel of the incident titled ``title_slug`` exists, has the reporter in it and a message.
    (Matched by the end of its name, ``inc-<n>-<slug>``: listeners run side by side, so incident numbers
    need not follow the order the commands were sent in.)"""
    with double.model.lock:
        channel = next((c for c in double.model.channels.values() if c.name.endswith("-" + title_slug)), None)
        return bool(channel and REPORTER in channel.members and double.model.messages_in(channel.id))


LAYOUTS = {
    "one": "one process (serve with its scheduler inside: the quick start)",
    "split": "web + worker (serve --no-scheduler and scheduler: Procfile's scale-out)",
}


def start_worker(bot: BotProcess, database_url: str, log: Path) -> subprocess.Popen:
    """``python -m bot scheduler`` beside ``serve --no-scheduler``, on the same database and double."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    env.update({"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_API_URL": bot.api_url, "DATABASE_URL": database_url,
                "BOT_CONFIG_DIR": str(ROOT / "config"), "BOT_PLAYBOOKS_DIR": str(ROOT / "playbooks")})
    return subprocess.Popen([sys.executable, "-m", "bot", "scheduler", "--poll", "0.1"], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)


def drained(double: SlackDouble, quiet: float = 2.0, timeout: float = 300) -> float:
    """Seconds until the bot made no Slack call for ``quiet`` seconds (its outbox backlog is done)."""
    started = time.monotonic()
    count, since = len(double.calls()), time.monotonic()
    while time.monotonic() - started < timeout:
        time.sleep(0.1)
        now = len(double.calls())
        if now != count:
            count, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return since - started
    raise SystemExit(f"the outbox was still calling Slack after {timeout:.0f} s")


def run_layout(layout: str, args: argparse.Namespace, tmp: Path) -> dict[str, object]:
    with SlackDouble() as double:
        double.model.lenient_users = True
        double.model.add_user(REPORTER, "bench", "Europe/Berlin")
        for name in ("incidents", "support-escalations", "exec-updates"):
            double.model.add_channel(name)
        database_url = f"sqlite:///{tmp}/bench-{layout}.db"
        bot = BotProcess(api_url=double.api_url, database_url=database_url, config_dir=ROOT / "config",
                         playbooks_dir=ROOT / "playbooks", log_path=tmp / f"bot-{layout}.log",
                         scheduler=layout == "one")
        bot.api_url = double.api_url
        bare, bare_url = start_bare(double.api_url, tmp / f"bare-{layout}.log")
        worker = None
        try:
            bot.wait_ready(timeout=60)
            if layout == "split":
                worker = start_worker(bot, database_url, tmp / f"worker-{layout}.log")
            double.faults.latency = args.latency
            to_bot = SlackSender(f"{bot.url}/slack/events", f"{double.url}/webhook")
            to_bare = SlackSender(f"{bare_url}/slack/events", f"{double.url}/webhook")
            back_to_back(to_bare, 5, "warm-up")  # first requests pay for imports and connections
            back_to_back(to_bot, 5, "warm-up")
            time.sleep(2)
            bare_acks = back_to_back(to_bare, args.runs, "bare")
            bot_acks = back_to_back(to_bot, args.runs, "bench")
            try:
                double.wait_for(lambda: all(usable(double, f"bench-{run}") for run in range(1, args.runs + 1)),
                                timeout=args.settle_timeout, interval=0.1,
                                what="the back-to-back declarations' channels")
            except AssertionError:
                print(bot.log(), file=sys.stderr)
                raise
            backlog = drained(double)
            ready = []
            for run in range(1, args.usable_runs + 1):
                started = time.monotonic()
                to_bot.command(f"declare sev3 usable {run}", user=REPORTER)
                double.wait_for(lambda: usable(double, f"usable-{run}"), timeout=30, interval=0.005,
                                what=f"channel of usable run {run}")
                ready.append(time.monotonic() - started)
                drained(double, quiet=1.0)  # this declaration's remaining steps are done before the next
        finally:
            bot.stop()
            for proc in (bare, worker):
                if proc is not None:
                    proc.terminate()
                    proc.wait(10)
    return {"bare": bare_acks, "bot": bot_acks, "ready": ready, "backlog": backlog}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100, help="back-to-back declarations per app")
    parser.add_argument("--usable-runs", type=int, default=5, help="declarations timed until the channel is usable")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added to every Slack API call")
    parser.add_argument("--layout", choices=[*LAYOUTS, "both"], default="both",
                        help="how the bot runs: one process, web + worker processes, or both one after the other")
    parser.add_argument("--settle-timeout", type=float, default=600,
                        help="seconds to wait for the back-to-back declarations' channels")
    args = parser.parse_args()
    layouts = list(LAYOUTS) if args.layout == "both" else [args.layout]
    ms = lambda v: f"{v * 1000:.0f} ms"  # noqa: E731
    print(f"Slack API latency added to every call: {ms(args.latency)}; {args.runs} back-to-back declarations per "
          f"app; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start")
    with tempfile.TemporaryDirectory() as tmp:
        for layout in layouts:
            result = run_layout(layout, args, Path(tmp))
            bare_acks, bot_acks, ready = result["bare"], result["bot"], result["ready"]
            print(f"\n{LAYOUTS[layout]}")
            print(f"{'acknowledgement of /incident declare':<40} {'p50':>8} {'p99':>8} {'max':>8}")
            for label, values in (("bare slack_bolt app", bare_acks), ("the bot (incident bot)", bot_acks)):
                print(f"{label:<40} {ms(percentile(values, 50)):>8} {ms(percentile(values, 99)):>8} "
                      f"{ms(max(values)):>8}")
            p50 = percentile(bot_acks, 50) / percentile(bare_acks, 50)
            p99 = percentile(bot_acks, 99) / percentile(bare_acks, 99)
            verdict = "OK" if p99 <= 1.5 else "SLOWER THAN TARGET"
            print(f"{'ratio bot / bare':<40} {p50:>7.2f}x {p99:>7.2f}x   (target p99 <= 1.5x: {verdict})")
            print(f"the {args.runs} declarations' Slack calls were all done {result['backlog']:.1f} s after the "
                  f"channels were usable")
            verdict = "OK" if max(ready) < 1.0 else "SLOWER THAN TARGET"
            print(f"channel usable (created, reporter in, first message), one declaration at a time: median "
                  f"{ms(statistics.median(ready))}, max {ms(max(ready))} over {len(ready)} (target < 1000 ms: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
