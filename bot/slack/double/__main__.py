"""``python -m bot.slack.double``: run the Slack Web API double until interrupted.

Prints the value for ``SLACK_API_URL``.  ``--config-dir DIR`` seeds the
people, channels and user groups a configuration names (as a real workspace
would have them); ``--users FILE`` seeds users from a JSON list of
``{"id": "U…", "name": "…", "tz": "Europe/Berlin"}``; without either any
well-formed user id is accepted.

``python -m bot.slack.double send "/incident declare sev2 …"`` types a slash
command into it, for a running bot (see ``bot.slack.double.send``).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading

from bot.slack.double.server import SlackDouble


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["send"]:
        from bot.slack.double.send import main as send

        return send(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bot.slack.double", description=__doc__.splitlines()[0],
                                     epilog='python -m bot.slack.double send "/incident declare sev2 Checkout is down" '
                                            "types a slash command into a running double for a running bot")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    parser.add_argument("--config-dir", metavar="DIR", help="seed the people, channels and user groups this "
                                                            "configuration names (playbooks beside it)")
    parser.add_argument("--users", metavar="FILE", help="JSON list of users to seed")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every API call")
    args = parser.parse_args(argv)
    double = SlackDouble(args.port)
    double.faults.latency = args.latency
    if args.config_dir:
        from bot.config.loader import ConfigPaths, load_config
        from bot.slack.double.seed import seed

        seed(double.model, load_config(ConfigPaths.default(args.config_dir)))
    if args.users:
        with open(args.users, encoding="utf-8") as fh:
            for user in json.load(fh):
                double.model.add_user(user["id"], user.get("name"), user.get("tz"))
    if not args.config_dir and not args.users:
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
