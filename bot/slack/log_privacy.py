"""Keeping request bodies out of bolt's and slack_sdk's log lines.

A request body holds the legacy verification token (``token``), the ``response_url``
and what people typed.  bolt writes whole bodies into some of its messages: "Invalid
request signature detected (… body: …)", "Unhandled request (…)", a middleware that
did not call ``next()`` "for the request (…)".  :func:`bolt_logger` is passed to
``App(logger=…)``; bolt gives its filter to every logger it creates for the app, so
those lines keep their first words and lose the request.

slack_sdk's Web API client logs every request and answer at debug level (``--verbose``): "Sending a request
- ... body_params: {...}", "Received the following response - ... body: {...}": message text, user ids, what
people typed. :func:`sdk_logger` is passed to the clients this package builds (``WebClient(logger=…)``), with
the same filter.
"""

from __future__ import annotations

import logging
import re

BOLT_LOGGER = "bot.slack.bolt"
SDK_LOGGER = "bot.slack.sdk"
WITHHELD = "(request details withheld from the log)"
# What only a request (or a suggestion built from one) puts in a log line.
_REQUEST_MARKERS = ("body", "token", "response_url", "trigger_id", "'text'", "payload", "api_app_id",
                    "team_id", "user_id", "callback_id", "action_id")
_CUT = re.compile(r"[({\n]")


class WithholdRequestBodies(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep only the template
            message = str(record.msg)
        if any(marker in message for marker in _REQUEST_MARKERS):
            head = _CUT.split(message, 1)[0].rstrip(" :,") or "bolt"
            record.msg, record.args = f"{head} {WITHHELD}", None
        return True


def _filtered(name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    if not any(isinstance(f, WithholdRequestBodies) for f in logger.filters):
        logger.addFilter(WithholdRequestBodies())
    return logger


def bolt_logger() -> logging.Logger:
    return _filtered(BOLT_LOGGER)


def sdk_logger() -> logging.Logger:
    """The logger for slack_sdk's Web API clients: their request and answer bodies withheld.

    slack_sdk decides whether to build its debug lines from the logger's own level (``logger.level <=
    DEBUG``), not from whether a line would be written: with the level left unset (0) every call formatted its
    whole request and answer, blocks and all, to be thrown away (a few per cent of a delivering worker's CPU).
    So the logger is given, each time a client is built, the level its parents give it then: debug only when
    debug lines are wanted (``--verbose``, which is decided at start)."""
    logger = _filtered(SDK_LOGGER)
    wanted = logger.parent.isEnabledFor(logging.DEBUG) if logger.parent is not None else False
    logger.setLevel(logging.DEBUG if wanted else logging.INFO)
    return logger
