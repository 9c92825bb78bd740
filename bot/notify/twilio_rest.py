"""SMS and voice through a Twilio-compatible REST API (Twilio itself, a provider with the same API, or a
relay): ``POST /2010-04-01/Accounts/{sid}/Messages.json`` and ``.../Calls.json`` with HTTP basic auth.

The base URL is configurable (``TWILIO_API_URL``, default ``https://api.twilio.com``); the account SID
and auth token come from the environment only and are never logged.  Plain HTTP from the standard
library: the ``twilio`` package is used only where it does better than our own code, for checking
``X-Twilio-Signature`` on inbound webhooks (``bot/notify/webhooks.py``).

After a crash between sending and recording, :meth:`find_sent` lists the messages to the number since
the claim and looks for the step's reference in the body (a message is never sent twice).  A call has
no body to search: a call to the number since the claim counts as this step's call.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

from bot.notify.ports import NotifyError, Outgoing

DEFAULT_API_URL = "https://api.twilio.com"
TIMEOUT_SECONDS = 10


class TwilioRest:
    """One account's REST client: SMS (:meth:`send` with method ``sms``) and calls (method ``voice``)."""

    def __init__(self, *, account_sid: str, auth_token: str, from_number: str, api_url: str = DEFAULT_API_URL,
                 voice_url: str = "") -> None:
        """``voice_url``: the public base URL of the bot's webhooks. A page call asks it what to say when the
        callee answers (``{voice_url}/twilio/voice/answer?page=<id>``), and the keypad answers go to
        ``{voice_url}/twilio/voice/gather?page=<id>``. Without it a call can only speak its text."""
        if not (account_sid and auth_token and from_number):
            raise ValueError("expected TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER, got one missing")
        self._sid = account_sid
        self._auth = "Basic " + base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
        self.from_number = from_number
        self.api_url = api_url.rstrip("/")
        self.voice_url = voice_url.rstrip("/")

    def __repr__(self) -> str:  # never the token
        return f"TwilioRest(account={self._sid[:6]}…, api={self.api_url})"

    def _url(self, resource: str, query: dict[str, str] | None = None) -> str:
        url = f"{self.api_url}/2010-04-01/Accounts/{self._sid}/{resource}.json"
        return url + ("?" + urllib.parse.urlencode(query) if query else "")

    def _call(self, method: str, url: str, form: dict[str, str] | None = None) -> dict[str, Any]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(url, data=data, method=method, headers={
            "Authorization": self._auth, "Accept": "application/json",
            **({"Content-Type": "application/x-www-form-urlencoded"} if data is not None else {})})
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - configured URL
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            try:
                body = json.loads(exc.read() or b"{}")
            except ValueError:
                body = {}
            code = str(body.get("code") or exc.code)
            text = body.get("message") or exc.reason
            transient = exc.code == 429 or exc.code >= 500
            raise NotifyError(f"provider answered {exc.code} (code {code}): {text}", transient=transient,
                              code=code) from None
        except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
            raise NotifyError(f"provider unreachable: {getattr(exc, 'reason', exc)}", transient=True) from None

    def call_instructions(self, message: Outgoing) -> dict[str, str]:
        """What Twilio is given with the call. A page call with a public URL: the URL Twilio asks when the callee
        answers, so that the words and the keypad come from the page as it is then (a page acknowledged
        elsewhere while the phone rang says so and asks nothing; ``bot/notify/webhooks.py``). A test call, or
        no public URL: the words themselves (nothing could be answered)."""
        from xml.sax.saxutils import escape

        if message.page_id and self.voice_url:
            return {"Url": f"{self.voice_url}/twilio/voice/answer?page={message.page_id}", "Method": "POST"}
        return {"Twiml": f"<Response><Say>{escape(message.text)}</Say></Response>"}

    def send(self, message: Outgoing) -> str:
        if message.method == "sms":
            form = {"To": message.to, "From": self.from_number, "Body": message.text}
            if self.voice_url:  # the carrier's later word: undelivered falls through to the next step
                form["StatusCallback"] = f"{self.voice_url}/twilio/status"
            answer = self._call("POST", self._url("Messages"), form)
        elif message.method == "voice":
            answer = self._call("POST", self._url("Calls"), {"To": message.to, "From": self.from_number,
                                                              **self.call_instructions(message)})
        else:
            raise ValueError(f"expected sms or voice, got {message.method!r}")
        sid = answer.get("sid")
        if not sid:
            raise NotifyError("provider answered without a sid", transient=True)
        return str(sid)

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        if message.method == "sms":
            answer = self._call("GET", self._url("Messages", {"To": message.to,
                                                              "DateSent>": since.date().isoformat()}))
            items, stamp = answer.get("messages") or [], "date_created"
        else:
            answer = self._call("GET", self._url("Calls", {"To": message.to,
                                                           "StartTime>": since.date().isoformat()}))
            items, stamp = answer.get("calls") or [], "date_created"
        for item in items:
            created = item.get(stamp)
            when = parsedate_to_datetime(created) if created else None
            if when is not None and when < since:
                continue
            if message.method == "voice" or message.ref in (item.get("body") or ""):
                return str(item.get("sid"))
        return None
