"""slack-sdk retry handlers, bounded, with the methods that must not be retried blindly left out.

* 429 ``Retry-After``: wait what Slack asks (plus a small jitter), at most
  ``max_wait`` seconds per wait and ``max_retry_count`` times.  A 429 means
  the call was not processed, so every method may retry.
* 5xx and dropped connections: retried with backoff, except for methods whose
  effect may already have happened (``chat.postMessage``): the gateway retries
  those itself after checking, by idempotency key, whether the message exists.
"""

from __future__ import annotations

import random
import time
from typing import Callable, Iterable, Optional

from slack_sdk.http_retry.builtin_handlers import (ConnectionErrorRetryHandler, RateLimitErrorRetryHandler,
                                                   ServerErrorRetryHandler)
from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.interval_calculator import RetryIntervalCalculator
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.jitter import Jitter
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

NOT_BLINDLY_RETRIED = frozenset({"chat.postMessage", "conversations.create"})
SERVER_ERRORS = frozenset({500, 502, 503, 504})


class ProportionalJitter(Jitter):
    """Up to +50 % of the interval (slack-sdk's default adds up to a whole second to every wait)."""

    def recalculate(self, duration: float) -> float:
        return duration * (1 + random.random() / 2)


def backoff(factor: float = 0.2) -> BackoffRetryIntervalCalculator:
    """0.2 s, 0.4 s, 0.8 s … each with up to 50 % jitter."""
    return BackoffRetryIntervalCalculator(backoff_factor=factor, jitter=ProportionalJitter())


def _method(request: HttpRequest) -> str:
    return request.url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]


class BoundedRateLimitRetry(RateLimitErrorRetryHandler):
    def __init__(self, max_retry_count: int = 5, *, max_wait: float = 30.0, jitter: float = 0.2,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait
        self.jitter = jitter
        self._sleep = sleep

    def prepare_for_next_attempt(self, *, state: RetryState, request: HttpRequest,
                                 response: Optional[HttpResponse] = None, error: Optional[Exception] = None) -> None:
        if response is None:
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        header = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        try:
            wait = float(header[0] if isinstance(header, list) else header) if header is not None else 1.0
        except (TypeError, ValueError):
            wait = 1.0
        self._sleep(min(wait, self.max_wait) + random.random() * self.jitter)
        state.increment_current_attempt()


class SafeServerErrorRetry(ServerErrorRetryHandler):
    def __init__(self, max_retry_count: int = 3, interval_calculator: RetryIntervalCalculator | None = None,
                 excluded: Iterable[str] = NOT_BLINDLY_RETRIED) -> None:
        super().__init__(max_retry_count, interval_calculator or backoff())
        self.excluded = frozenset(excluded)

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: Optional[HttpResponse] = None,
                   error: Optional[Exception] = None) -> bool:
        return (response is not None and response.status_code in SERVER_ERRORS
                and _method(request) not in self.excluded)


class SafeConnectionErrorRetry(ConnectionErrorRetryHandler):
    def __init__(self, max_retry_count: int = 2, excluded: Iterable[str] = NOT_BLINDLY_RETRIED) -> None:
        super().__init__(max_retry_count, backoff())
        self.excluded = frozenset(excluded)

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: Optional[HttpResponse] = None,
                   error: Optional[Exception] = None) -> bool:
        return _method(request) not in self.excluded and super()._can_retry(
            state=state, request=request, response=response, error=error)


def default_retry_handlers(*, rate_limit_retries: int = 5, sleep: Callable[[float], None] = time.sleep) -> list[RetryHandler]:
    return [SafeConnectionErrorRetry(), BoundedRateLimitRetry(rate_limit_retries, sleep=sleep), SafeServerErrorRetry()]
