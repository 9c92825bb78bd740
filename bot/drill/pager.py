"""The drill's pager: a page's SMS, call and email steps, and an acknowledgement by SMS reply.

The drill pages beyond Slack the way ``serve`` does: the real notification rows (written with the page,
bot/notify/plan.py), the real delivery worker (bot/notify/delivery.py, run by the drill's scheduler) and
the real Twilio REST adapter, talking over loopback HTTP to the Twilio double (bot/notify/double/).  The
answers come back the way Twilio sends them: the double posts the person's SMS reply, signed with
``X-Twilio-Signature``, to the bot's inbound webhook app (bot/notify/webhooks.py), served on loopback.
There is no SMTP server in a drill: email steps go to :class:`DrillMailbox`, which keeps them for the
transcript.

How the drill's people answer: a paged person who is not told to stay silent answers three minutes after
the page reached them (bot/drill/responders.py).  When a call of that page has already rung by then, the
phone woke them and they answer where it arrived: they reply ``ack <page>`` by SMS instead of pressing
the Slack button, and the page's remaining steps stop.
"""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, TextIO

from sqlmodel import select
from werkzeug.serving import WSGIRequestHandler, make_server

from bot.clock import Clock, ensure_utc
from bot.notify.delivery import NotificationDispatcher
from bot.notify.status_mail import StatusMailDispatcher
from bot.notify.sweeps import Sweeps
from bot.oncall.notification_rules import METHOD_NAMES
from bot.notify.double import TwilioDouble
from bot.notify.inbound import Inbound
from bot.notify.ports import Outgoing, mask
from bot.notify.tables import Notification
from bot.notify.twilio_rest import TwilioRest
from bot.notify.webhooks import create_app
from bot.slack.double.bot_process import free_port
from bot.slack.replies import local
from bot.subscriptions.links import SubscriptionLinks

FROM_NUMBER = "+15005550006"  # the drill's sending number (Twilio's documented test number)
STATUS_URL = "https://bot.example.com/web"  # the drill serves no web view: its links are only shown
STATUS_LINK_SECRET = "drill-status-links-" + "0" * 16  # a throw-away database, a throw-away secret


@dataclass
class DrillMailbox:
    """The email notifier of a drill (no SMTP server here): keeps what would have been sent."""

    clock: Clock
    sent: list[tuple[datetime, Outgoing, str]] = field(default_factory=list)

    def send(self, message: Outgoing) -> str:
        message_id = f"<drill-{len(self.sent) + 1}@mailbox.drill>"
        self.sent.append((self.clock.now(), message, message_id))
        return message_id

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        return next((mid for at, m, mid in self.sent if m.ref == message.ref and m.to == message.to and at >= since),
                    None)


@dataclass(frozen=True)
class Line:
    at: datetime
    person: str
    head: str  # e.g. "SMS to carla (+44770****003)"
    body: list[str]


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # the transcript says what happened
        return None


def _spoken(twiml: str) -> str:
    try:
        root = ET.fromstring(twiml)
    except ET.ParseError:
        return twiml
    return " ".join((el.text or "").strip() for el in root.iter() if el.tag == "Say")


class DrillPager:
    def __init__(self, config: Any, store: Any, clock: Clock, incidents: Any, *,
                 zone_of: Callable[[str], str]) -> None:
        self.config, self.store, self.clock, self.zone_of = config, store, clock, zone_of
        self.twilio = TwilioDouble(now=clock.now).start()
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        from bot.alerts.answers import AlertPages

        answers = AlertPages(store, lambda: config, clock, incidents)
        app = create_app(Inbound(incidents, lambda: config, alert_pages=answers), auth_token=self.twilio.auth_token,
                         public_url=self.url, links=None)
        self._server = make_server("127.0.0.1", port, app, threaded=True, request_handler=_QuietHandler)
        threading.Thread(target=self._server.serve_forever, name="drill-paging-webhooks", daemon=True).start()
        rest = TwilioRest(account_sid=self.twilio.account_sid, auth_token=self.twilio.auth_token,
                          from_number=FROM_NUMBER, api_url=self.twilio.api_url, voice_url=self.url)
        self.mailbox = DrillMailbox(clock)
        self.dispatcher = NotificationDispatcher(store, lambda: config,
                                                 {"sms": rest, "voice": rest, "email": self.mailbox}, clock)
        # The status page's mails go the way serve sends them (bot/notify/environment.py), into the same mailbox.
        self.status_links = SubscriptionLinks(STATUS_LINK_SECRET, clock)
        self.status_mail = StatusMailDispatcher(store, lambda: config, self.mailbox, clock, links=self.status_links,
                                                public_url=STATUS_URL)
        self.notifications = Sweeps(("", self.dispatcher), ("status-mail-", self.status_mail))
        self.replies: list[Line] = []
        self._shown = {"sms": 0, "voice": 0, "email": 0, "reply": 0}
        self._stopped_shown: set[int] = set()

    # --- who is who -------------------------------------------------------------------

    def _people(self) -> list[Any]:
        return list(self.config.one("people").people)

    def _by_phone(self, phone: str) -> str:
        return next((p.id for p in self._people() if p.contact.phone == phone), phone)

    def _by_email(self, address: str) -> str:
        return next((p.id for p in self._people() if p.contact.email == address), address)

    def _zone(self, person: str) -> str:
        """The person's zone; the organisation's for someone who is not one of its people (a subscriber)."""
        known = any(p.id == person for p in self._people())
        return self.zone_of(person) if known else self.config.settings.timezone

    def _phone(self, person: str) -> str | None:
        return next((p.contact.phone for p in self._people() if p.id == person), None)

    # --- the phone woke them: ack by SMS reply --------------------------------------

    def called(self, page_id: int) -> bool:
        """A call of this page has rung (its voice step was sent)."""
        with self.store.session() as s:
            return s.exec(select(Notification.id).where(Notification.page_id == page_id, Notification.method == "voice",
                                                        Notification.state == "sent")).first() is not None

    def reply_ack(self, person: str, page_id: int) -> bool:
        """``person`` replies ``ack <page>`` to the page's SMS: Twilio posts it, signed, to the bot's webhook."""
        phone = self._phone(person)
        if phone is None:
            return False
        body = f"ack {page_id}"
        inbound = self.twilio.sms_reply(f"{self.url}/twilio/sms", from_=phone, body=body, to=FROM_NUMBER)
        answer = _spoken(inbound.body.replace("<Message>", "<Say>").replace("</Message>", "</Say>")) \
            if inbound.status == 200 else f"HTTP {inbound.status}: {inbound.body}"
        self.replies.append(Line(self.clock.now(), person, f"SMS from {person} ({mask(phone)})",
                                 [body, f"answer: {answer}"]))
        return inbound.status == 200

    # --- the transcript -----------------------------------------------------------------

    def _new(self) -> list[Line]:
        lines: list[Line] = []
        messages, calls = list(self.twilio.messages), list(self.twilio.calls)
        for sent in messages[self._shown["sms"]:]:
            person = self._by_phone(sent.to)
            lines.append(Line(sent.created, person, f"SMS to {person} ({mask(sent.to)})", [sent.body]))
        for sent in calls[self._shown["voice"]:]:
            person = self._by_phone(sent.to)
            if sent.url and not sent.twiml:
                self.twilio.answer(sent.sid)  # they pick up: the bot decides now what the call says
            lines.append(Line(sent.created, person, f"call to {person} ({mask(sent.to)})",
                              [f"says: {_spoken(sent.twiml)}"]))
        for at, message, _ in self.mailbox.sent[self._shown["email"]:]:
            person = self._by_email(message.to)
            who = person if person != message.to else "a status page subscriber"
            lines.append(Line(at, person, f"email to {who} ({mask(message.to)})", [message.subject]))
        lines += self.replies[self._shown["reply"]:]
        self._shown = {"sms": len(messages), "voice": len(calls), "email": len(self.mailbox.sent),
                       "reply": len(self.replies)}
        return lines + self._stopped()

    def _stopped(self) -> list[Line]:
        """Steps that will not go out (acknowledged, suppressed by a labor rule, failed), once each."""
        with self.store.session() as s:
            rows = s.exec(select(Notification).where(Notification.state.in_(("cancelled", "suppressed", "failed")))  # type: ignore[attr-defined]
                          .order_by(Notification.id)).all()
            out = []
            for row in rows:
                if row.id in self._stopped_shown:
                    continue
                self._stopped_shown.add(int(row.id or 0))
                zone = self.zone_of(row.person_id)
                what = "not made" if row.method == "voice" else "not sent"
                out.append(Line(ensure_utc(row.updated_at), row.person_id,
                                f"pager: {METHOD_NAMES[row.method]} to {row.person_id} of page {row.page_id} {what}",
                                [f"due {local(ensure_utc(row.due_at), zone)}, {row.state}: {row.outcome}"]))
            return out

    def flush(self, out: TextIO) -> None:
        for line in sorted(self._new(), key=lambda item: item.at):
            print(f"[{local(line.at, self._zone(line.person))}] {line.head}", file=out)
            for text in line.body:
                print(f"    {text}", file=out)
        out.flush()

    def print_summary(self, file: TextIO) -> None:
        """Each page's steps beyond Slack: method, when due, and what became of it."""
        with self.store.session() as s:
            rows = s.exec(select(Notification).where(Notification.page_id.is_not(None))  # type: ignore[union-attr]
                          .order_by(Notification.page_id, Notification.step)).all()
            if not rows:
                print("  no page had a step beyond Slack", file=file)
            for row in rows:
                zone = self.zone_of(row.person_id)
                # a sent step's outcome is the carrier's later report, which arrives in real time: not shown
                done = (f"sent {local(ensure_utc(row.sent_at), zone)}" if row.state == "sent" and row.sent_at
                        else f"{row.state} ({row.outcome})" if row.outcome else row.state)
                print(f"  page {row.page_id} to {row.person_id}: {METHODS_SHORT.get(row.method, row.method)} due "
                      f"{local(ensure_utc(row.due_at), zone)} (after {row.after_seconds // 60} min): {done}", file=file)

    # --- the end ------------------------------------------------------------------------

    def close(self) -> None:
        self.twilio.drain()  # status callbacks still on their way, before the webhooks go
        self._server.shutdown()
        self.twilio.stop()


METHODS_SHORT = {"sms": "SMS", "voice": "call", "email": "email"}
