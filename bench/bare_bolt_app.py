"""The peer for bench/slack_ack.py: a bare slack_bolt app that acknowledges /incident and does nothing else.

Same stack as the bot's HTTP mode (bolt ``App`` behind waitress, signatures
verified; 16 listener threads, enough for a listener that only acknowledges), same Slack double, so the difference in
acknowledgement time is what the bot does on top.

    python bench/bare_bolt_app.py PORT SLACK_API_URL
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient
from waitress import serve

SECRET = "test-signing-secret"


def main() -> int:
    port, api_url = int(sys.argv[1]), sys.argv[2]
    app = App(client=WebClient(token="xoxb-bare", base_url=api_url), signing_secret=SECRET,
              listener_executor=ThreadPoolExecutor(max_workers=16))

    @app.command("/incident")
    def incident(ack) -> None:  # noqa: ANN001 - bolt injects by name
        ack()

    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ, start_response):  # noqa: ANN001
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]
        return slack(environ, start_response)

    serve(wsgi, host="127.0.0.1", port=port, threads=16, ident="bare-bolt")
    return 0


if __name__ == "__main__":
    sys.exit(main())
