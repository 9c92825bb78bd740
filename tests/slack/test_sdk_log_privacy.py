"""slack_sdk's clients log whole requests and answers at debug level (``--verbose``); what people typed must not
reach the log through them.

slack_sdk writes "Sending a request - ... body_params: ..." and "Received the following response - ... body: ..."
with the message's text and the user ids. The clients the bot builds log through a logger that keeps the first
words of such a line and withholds the rest (bot/slack/log_privacy.py), as bolt's lines already were.
"""

from __future__ import annotations

import logging

from bot.slack.client import make_client, make_worker_client
from bot.slack.double import SlackDouble
from bot.slack.log_privacy import WITHHELD

TYPED = "Customer 4711 Jane Roe called about the refund"


def post_with_both_clients(caplog, level: int, text: str, each=lambda: None) -> list[str]:
    """Post ``text`` with the listeners' client and then the worker's, each built while the log is at ``level``
    (``each()`` after every post); the texts the Slack double received."""
    with SlackDouble() as double:
        double.model.lenient_users = True
        channel = double.model.add_channel("inc-9").id
        with caplog.at_level(level):
            for make in (make_client, make_worker_client):
                assert make("xoxb-test", base_url=double.api_url).chat_postMessage(channel=channel, text=text)["ok"]
                each()
        return [m.text for m in double.model.messages if m.channel == channel]


def test_debug_lines_of_both_clients_do_not_carry_the_message(caplog):
    post_with_both_clients(caplog, logging.DEBUG, TYPED)
    sdk_lines = [r.getMessage() for r in caplog.records if r.name == "bot.slack.sdk"]
    assert sdk_lines, "slack_sdk logged nothing through the bot's logger"
    assert any(WITHHELD in line for line in sdk_lines)  # the request and answer lines were there, cut
    assert TYPED not in caplog.text and "4711" not in caplog.text


class _CountedText(str):
    """A message text that counts how often it is formatted for a log line (``repr``; sending it as JSON does
    not call it)."""

    formatted = 0

    def __repr__(self) -> str:
        type(self).formatted += 1
        return super().__repr__()


def test_without_debug_the_clients_do_not_format_requests_for_the_log(caplog):
    # slack_sdk formats "Sending a request - ... json_body: {...}" (a repr of the body) whenever its logger's own
    # level is <= DEBUG, and an unset level is 0: every call paid for a line nobody would see.
    formatted = []

    def count() -> None:
        formatted.append(_CountedText.formatted)
        _CountedText.formatted = 0

    _CountedText.formatted = 0
    assert post_with_both_clients(caplog, logging.INFO, _CountedText(TYPED), count) == [TYPED, TYPED]
    assert formatted == [0, 0]  # once a post before: the request's line was built and thrown away
