"""A slack_sdk ``WebClient`` that keeps its HTTPS connections open between calls (urllib3's pool).

slack_sdk's synchronous client sends every call through ``urllib.request``,
which opens a new connection (and against Slack a new TLS handshake) for each
call and closes it afterwards.  The outbox worker makes one call per delivered
row, many of them in a burst, and a command's listener often several in a row;
a kept-open connection saves the handshake's round trips and most of the
client's CPU per call.  Both clients are built here (``make_worker_client``
without retries inside a call, ``make_client`` with slack_sdk's retry handlers).

Only the transport changes: slack_sdk still builds the request (token, body,
headers), parses the answer and raises ``SlackApiError`` as before.  What
urllib would have raised is raised here too: a failure to connect or to read
is a ``URLError`` (an ``OSError``) and a timeout a ``TimeoutError``, so the
callers' handling of network failures and slack_sdk's retry handlers see no
difference.  An HTTP error status (a 429 with ``Retry-After``, a 5xx) is
answered as urllib's ``HTTPError`` path answers it: status, headers and body.
With a proxy configured the client falls back to urllib.

slack_sdk offers no transport hook for its synchronous client; this overrides
``_perform_urllib_http_request_internal(url, request)``.  ``tests/slack/
test_pooled_http.py`` fails if a slack_sdk release stops calling it (the
connections would no longer be reused).
"""

from __future__ import annotations

import re
import urllib.error
from typing import Any
from urllib.request import Request

import urllib3
from slack_sdk import WebClient

_CHARSET = re.compile(r"charset=([\w.:-]+)", re.IGNORECASE)


class PooledWebClient(WebClient):
    """``WebClient`` whose calls reuse up to ``connections`` kept-open connections per host."""

    def __init__(self, *args: Any, connections: int = 8, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pool = urllib3.PoolManager(num_pools=4, maxsize=max(1, connections), block=False,
                                         ssl_context=self.ssl, retries=False)

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith(("http://", "https://")):
            return super()._perform_urllib_http_request_internal(url, req)
        try:
            answer = self._pool.request("POST", url, body=req.data, headers=dict(req.header_items()),
                                        timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout),
                                        redirect=False, preload_content=True)
        except urllib3.exceptions.ReadTimeoutError as exc:
            raise TimeoutError(f"Slack did not answer within {self.timeout} s ({url})") from exc
        except urllib3.exceptions.HTTPError as exc:  # connection refused, reset, closed mid-answer ...
            raise urllib.error.URLError(exc) from exc
        headers = dict(answer.headers.items())
        content_type = headers.get("Content-Type") or headers.get("content-type") or ""
        if content_type.split(";")[0].strip().lower() == "application/gzip":  # admin.analytics.getFile
            return {"status": answer.status, "headers": headers, "body": answer.data}
        found = _CHARSET.search(content_type)
        body = answer.data.decode(found.group(1) if found else "utf-8")
        if answer.status == 429:  # as slack_sdk's urllib path: both spellings, for its retry handler
            for a, b in (("Retry-After", "retry-after"), ("retry-after", "Retry-After")):
                if a in headers and b not in headers:
                    headers[b] = headers[a]
        return {"status": answer.status, "headers": headers, "body": body}

    def close(self) -> None:
        self._pool.clear()
