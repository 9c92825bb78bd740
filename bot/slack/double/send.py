"""``python -m bot.slack.double send``: type a slash command into the Slack double, as a person would in Slack.

Sends ``/incident …`` or ``/oncall …`` to a running bot exactly as Slack does (form-encoded, v0-signed with
the signing secret), then prints the bot's answer and every message the bot posted to the double while
handling it: the channel it created, the welcome, pages sent as direct messages, the feed announcement.

Defaults come from the environment the bot itself reads: the bot at ``http://127.0.0.1:$PORT`` (3000),
the double from ``SLACK_API_URL``, the secret from ``SLACK_SIGNING_SECRET``.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from bot.slack.double.sender import SECRET, SlackSender, sign

QUIET_SECONDS = 1.5  # no new message for this long: the bot is done with the command


def _state(double: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{double}/_double/state", timeout=10) as resp:
        return json.loads(resp.read().decode())


def _wait_for_bot(base: str, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def _describe(message: dict[str, Any], channels: dict[str, dict[str, Any]]) -> str:
    channel = channels.get(message["channel"], {})
    if channel.get("is_im"):
        where = "DM to " + next((m for m in channel.get("members", []) if m != message.get("user")), "?")
    else:
        where = "#" + channel.get("name", message["channel"])
    lines = [html.unescape(line) for line in (message.get("text") or "").splitlines() if line.strip()]
    shown = "\n    ".join(lines[:6]) + ("\n    …" if len(lines) > 6 else "")
    return f"{where}\n    {shown}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.slack.double send", description=__doc__.splitlines()[0])
    parser.add_argument("text", metavar="TEXT", help='the command as typed, e.g. "/incident declare sev2 Checkout is down"')
    parser.add_argument("--user", default="U0TUTOR01", metavar="ID", help="Slack user id of the person typing it")
    parser.add_argument("--channel", default="CGENERAL1", metavar="ID", help="channel it is typed in (default: #general)")
    parser.add_argument("--to", metavar="URL", help="the bot (default: http://127.0.0.1:$PORT, PORT 3000 if unset)")
    parser.add_argument("--double", metavar="URL", help="the Slack double (default: from $SLACK_API_URL)")
    parser.add_argument("--wait", type=float, default=15.0, metavar="S",
                        help="seconds to wait for the bot to start and to finish (default 15)")
    args = parser.parse_args(argv)
    command, _, text = args.text.strip().partition(" ")
    if command not in ("/incident", "/oncall"):
        parser.error(f'the text must start with /incident or /oncall, got "{command}"')
    base = (args.to or f"http://127.0.0.1:{os.environ.get('PORT') or 3000}").rstrip("/")
    double = (args.double or os.environ.get("SLACK_API_URL", "")).rstrip("/").removesuffix("/api")
    if not double:
        parser.error("where is the Slack double? set SLACK_API_URL (as for the bot) or pass --double URL")
    if not _wait_for_bot(base, args.wait):
        print(f"no bot answers at {base}/healthz; start it with `python -m bot serve`", flush=True)
        return 1
    before = _state(double)
    seen_messages, seen_replies = len(before["messages"]), len(before["webhooks"])
    secret = os.environ.get("SLACK_SIGNING_SECRET") or SECRET
    sender = SlackSender(f"{base}/slack/events", f"{double}/webhook")
    body = sender.command_body(text, user=args.user, channel=args.channel, command=command)
    timestamp = int(time.time())
    response = sender.post(body, "application/x-www-form-urlencoded", timestamp=timestamp,
                           signature=sign(body, timestamp, secret))
    print(f"{args.user} typed {args.text}: HTTP {response.status}", flush=True)
    if response.status != 200:
        print(f"    {response.body.strip()}")
        return 1
    deadline, last_change = time.monotonic() + args.wait, time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last_change < QUIET_SECONDS:
        time.sleep(0.2)
        state = _state(double)
        channels = {c["id"]: c for c in state["channels"]}
        for reply in state["webhooks"][seen_replies:]:
            print("reply to you (only you see it)\n    " + "\n    ".join(str(reply["body"].get("text", "")).splitlines()))
        for message in state["messages"][seen_messages:]:
            print(_describe(message, channels))
        if len(state["messages"]) > seen_messages or len(state["webhooks"]) > seen_replies:
            last_change = time.monotonic()
        seen_messages, seen_replies = len(state["messages"]), len(state["webhooks"])
    return 0
