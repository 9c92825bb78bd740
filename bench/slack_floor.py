"""The floor under a burst of deliveries: the Slack calls alone, with no database and no bot code.

    python bench/slack_floor.py [--count 3000] [--channels 1000] [--processes 4]

``--processes`` processes with 8 sender threads each (as many as a ``scheduler`` worker has) post ``--count``
``chat.postMessage`` calls, each with a text, a block and the message metadata the outbox adapter adds, over
``--channels`` channels of the local Slack double (in this process, no added latency), through the client the
outbox worker uses (:func:`bot.slack.client.make_worker_client`: slack_sdk with kept-open connections).  Prints
the calls per second and the CPU each call cost in the posting processes and in this one (the double).

:mod:`bench.reminder_burst` prints it beside the burst, run in the same sitting: on a 2-core machine what the
Slack calls alone cost bounds how fast any worker can deliver, and shows how fast the machine is at the time
(the same code measured hours apart on the same virtual machine has differed by a factor of two).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.slack.double import SlackDouble  # noqa: E402

# One posting process: reads its channels, says "ready", waits for a line on stdin, posts, prints its CPU seconds.
_POSTER = r"""
import sys, threading, time
from bot.slack.client import make_worker_client
base_url, share, channels = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
client = make_worker_client("xoxb-floor", base_url=base_url)
client.auth_test()  # the import and the first connection before the start line, as in a running worker
todo, lock = list(range(share)), threading.Lock()
def send():
    while True:
        with lock:
            if not todo:
                return
            n = todo.pop()
        key = f"floor:{sys.argv[4]}:{n}"
        client.chat_postMessage(
            channel=channels[n % len(channels)], text=f"Checklist item {n} is still open after 1 minute",
            blocks=[{"type": "section", "text": {"type": "mrkdwn", "text": f"*Checklist item {n}* is still open"}}],
            metadata={"event_type": "incident_bot", "event_payload": {"key": key, "kind": "checklist"}})
print("ready", flush=True)
sys.stdin.readline()
start = time.process_time()
threads = [threading.Thread(target=send) for _ in range(8)]
[t.start() for t in threads]
[t.join() for t in threads]
print(time.process_time() - start, flush=True)
"""


@dataclass
class Floor:
    count: int
    processes: int
    rate: float  # calls per second, from the start line to the last answer
    client_cpu: float  # seconds of CPU the posting processes used for the calls
    double_cpu: float  # and this process (the Slack double answering)


def measure(count: int = 3000, channels: int = 1000, processes: int = 4) -> Floor:
    with SlackDouble() as double:
        double.model.lenient_users = True
        ids = [double.model.add_channel(f"floor-{n}").id for n in range(channels)]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        posters = []
        for p in range(processes):
            share = count // processes + (1 if p < count % processes else 0)
            posters.append(subprocess.Popen(
                [sys.executable, "-c", _POSTER, double.api_url, str(share), ",".join(ids[p::processes] or ids), str(p)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT))
        for poster in posters:
            if poster.stdout is None or poster.stdout.readline().strip() != "ready":
                raise SystemExit("a posting process did not start")
        own, start = time.process_time(), time.monotonic()
        for poster in posters:
            assert poster.stdin is not None
            poster.stdin.write("go\n")
            poster.stdin.flush()
        client_cpu = sum(float(poster.communicate(timeout=300)[0].strip() or "nan") for poster in posters)
        elapsed, double_cpu = time.monotonic() - start, time.process_time() - own
        posted = sum(1 for m in double.model.messages if str(((m.metadata or {}).get("event_payload") or {})
                                                                .get("key", "")).startswith("floor:"))
    if posted != count:
        raise SystemExit(f"the double received {posted} of {count} posts")
    return Floor(count, processes, count / elapsed, client_cpu, double_cpu)


def describe(floor: Floor) -> str:
    return (f"floor: the same number of chat.postMessage calls straight from {floor.processes} processes (no database, "
            f"no bot code): {floor.rate:7.0f} calls/s; CPU per call: posting processes "
            f"{1000 * floor.client_cpu / floor.count:.2f} ms, Slack double {1000 * floor.double_cpu / floor.count:.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=3000)
    parser.add_argument("--channels", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    print(describe(measure(args.count, args.channels, args.processes)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
