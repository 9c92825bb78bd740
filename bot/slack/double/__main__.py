"""``python -m bot.slack.double``: run the Slack Web API double until interrupted.

Prints the value for ``SLACK_API_URL``.  ``--users FILE`` seeds users from a
JSON list of ``{"id": "U…", "name": "…", "tz": "Europe/Berlin"}``; without it
any well-formed user id is accepted.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading

from bot.slack.double.server import SlackDouble


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.slack.double", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--users", metavar="FILE", help="JSON list of users to seed")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API call")
    args = parser.parse_args(argv)
    double = SlackDouble(args.port)
    double.faults.latency = args.latency
    if args.users:
        with open(args.users, encoding="utf-8") as fh:
            for user in json.load(fh):
                double.model.add_user(user["id"], user.get("name"), user.get("tz"))
    else:
        double.model.lenient_users = True
    double.start()
    print(f"SLACK_API_URL={double.api_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        double.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
