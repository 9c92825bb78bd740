"""The one factory for slack_sdk ``WebClient``: token and API host from the environment.

``SLACK_API_URL`` selects the Web API host (GovSlack ``https://slack-gov.com/api/``,
a proxy, or the local double); nothing else in the bot names a Slack host.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Iterator

from slack_sdk import WebClient

from bot.slack.log_privacy import sdk_logger
from bot.slack.retries import default_retry_handlers

DEFAULT_API_URL = WebClient.BASE_URL


def api_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get("SLACK_API_URL") or DEFAULT_API_URL
    return url if url.endswith("/") else url + "/"


def make_client(token: str | None = None, *, base_url: str | None = None, timeout: int = 10,
                rate_limit_retries: int = 5, sleep: Callable[[float], None] = time.sleep,
                connections: int = 8) -> WebClient:
    """The listeners' and commands' client: slack_sdk's retry handlers (:mod:`bot.slack.retries`) and up to
    ``connections`` kept-open connections (:mod:`bot.slack.pooled_http`), so a command that makes several
    calls pays Slack's TLS handshake once, not on every call."""
    from bot.slack.pooled_http import PooledWebClient

    return PooledWebClient(token=token if token is not None else os.environ.get("SLACK_BOT_TOKEN"),
                           base_url=api_url(base_url), timeout=timeout, connections=connections, logger=sdk_logger(),
                           retry_handlers=default_retry_handlers(rate_limit_retries=rate_limit_retries, sleep=sleep))


def make_worker_client(token: str | None = None, *, base_url: str | None = None, timeout: int = 10,
                       connections: int = 8) -> WebClient:
    """A client for the outbox worker: no retries inside a call (the row's back-off retries, honouring
    ``Retry-After``), a bounded timeout, so a sender thread is never parked on Slack for long, and up to
    ``connections`` kept-open connections (one per sender thread; see :mod:`bot.slack.pooled_http`)."""
    from bot.slack.pooled_http import PooledWebClient

    return PooledWebClient(token=token if token is not None else os.environ.get("SLACK_BOT_TOKEN"),
                           base_url=api_url(base_url), timeout=timeout, retry_handlers=[], connections=connections,
                           logger=sdk_logger())


def pages(call: Callable[..., Any], **kwargs: Any) -> Iterator[Any]:
    """Every page of a cursor-paginated Web API method (``response_metadata.next_cursor``)."""
    cursor = None
    while True:
        page = call(cursor=cursor, **kwargs)
        yield page
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return
