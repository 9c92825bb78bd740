"""A paging world for the tests: the shipped organisation with phones and emails, the real lifecycle and
schedulers on a ManualClock, the Twilio double over HTTP, a real SMTP server (aiosmtpd) on loopback and
the webhook app served on loopback.

The shipped ``platform`` rotation has anna on call on Tuesday 2026-12-22 (11:00 in Munich, inside her
working hours); sev2 pages her with high urgency, level 1, 5 minute ack timeout.  The organisation's
default rule for high urgency is Slack at once, SMS after 2 minutes, a call after 5 minutes.
"""

from __future__ import annotations

import shutil
import socket
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import yaml
from aiosmtpd.controller import Controller
from sqlmodel import select
from werkzeug.serving import make_server

from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, load_config
from bot.incidents.service import IncidentService
from bot.notify.delivery import NotificationDispatcher
from bot.notify.double import TwilioDouble
from bot.notify.inbound import Inbound
from bot.notify.links import LinkSigner
from bot.notify.smtp import SmtpMailer
from bot.notify.tables import Notification
from bot.notify.twilio_rest import TwilioRest
from bot.notify.webhooks import create_app
from bot.scheduling.delivery import Dispatcher
from tests.conftest import REPO_ROOT
from tests.scheduling.fakes import FakeChat

TUESDAY = datetime(2026, 12, 22, 10, 0, tzinfo=timezone.utc)
ANNA, BRUNO, KATRIN = "U0ANNA001", "U0BRUNO01", "U0KATRIN1"
PHONES = {"anna": "+4915100000001", "bruno": "+351910000002", "katrin": "+4915100000003"}
EMAILS = {"anna": "anna@example.org", "bruno": "bruno@example.org", "katrin": "katrin@example.org"}
FROM_NUMBER = "+15005550006"
LINK_SECRET = "test-link-secret-0123456789"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_config(tmp: Path, *, people_edit=None) -> ConfigPaths:
    """The shipped config with contacts for anna, bruno and katrin; ``people_edit(doc)`` may change more."""
    target = tmp / "config"
    shutil.copytree(REPO_ROOT / "config", target)
    doc = yaml.safe_load((target / "people.yaml").read_text(encoding="utf-8"))
    for person in doc["people"]:
        if person["id"] in PHONES:
            person["contact"] = {"phone": PHONES[person["id"]], "email": EMAILS[person["id"]]}
    if people_edit is not None:
        people_edit(doc)
    (target / "people.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return ConfigPaths(target, REPO_ROOT / "playbooks")


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.refuse: list[str] = []  # recipients the server refuses (550)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted for delivery"


@dataclass
class World:
    store: Any
    config: Any
    clock: ManualClock
    chat: FakeChat
    service: IncidentService
    slack: Dispatcher
    notify: NotificationDispatcher
    twilio: TwilioDouble
    mailbox: Mailbox
    url: str
    rest: TwilioRest
    mailer: SmtpMailer
    closers: list = field(default_factory=list)

    def run(self) -> None:
        """One scheduler pass: Slack reminders and pages, then the other methods."""
        self.slack.run_due()
        self.notify.run_due()
        self.slack.run_due()

    def advance(self, **delta: float) -> None:
        self.clock.advance(**delta)
        self.run()

    def declare(self, severity: str = "sev2", title: str = "Checkout is down") -> Any:
        result = self.service.declare(severity, title, actor=KATRIN, key=f"declare-{title}")
        self.service.record_channel(result.incident.id, "CINC0001", "inc-1-checkout", key=f"channel-{title}")
        return result

    def rows(self, page_id: int | None = None) -> list[Notification]:
        with self.store.session() as s:
            query = select(Notification).order_by(Notification.id)
            if page_id is not None:
                query = query.where(Notification.page_id == page_id)
            rows = list(s.exec(query).all())
            for r in rows:
                s.expunge(r)
            return rows

    def sms_to(self, phone: str) -> list[Any]:
        return [m for m in self.twilio.messages if m.to == phone]

    def calls_to(self, phone: str) -> list[Any]:
        return [c for c in self.twilio.calls if c.to == phone]

    def mails_to(self, address: str) -> list[Message]:
        return [m for m in self.mailbox.messages if m["To"] == address]

    def close(self) -> None:
        self.twilio.drain()  # status callbacks still on their way, before the bot's webhooks go
        for close in reversed(self.closers):
            close()


def build_world(store: Any, tmp: Path, *, people_edit=None, start: datetime = TUESDAY) -> World:
    config = load_config(write_config(tmp, people_edit=people_edit))
    clock = ManualClock(start)
    chat = FakeChat()
    service = IncidentService(store, lambda: config, clock)
    slack = Dispatcher(store, lambda: config, chat, clock)
    twilio = TwilioDouble(now=clock.now).start()
    closers = [twilio.stop]
    mailbox = Mailbox()
    smtp_port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    closers.append(controller.stop)
    links = LinkSigner(LINK_SECRET)
    inbound = Inbound(service, lambda: config)
    web_port = free_port()
    url = f"http://127.0.0.1:{web_port}"
    app = create_app(inbound, auth_token=twilio.auth_token, public_url=url, links=links)
    server = make_server("127.0.0.1", web_port, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    closers.append(server.shutdown)
    rest = TwilioRest(account_sid=twilio.account_sid, auth_token=twilio.auth_token, from_number=FROM_NUMBER,
                      api_url=twilio.api_url, voice_url=url)
    mailer = SmtpMailer(host="127.0.0.1", port=smtp_port, sender="pager@example.org")
    notify = NotificationDispatcher(store, lambda: config, {"sms": rest, "voice": rest, "email": mailer}, clock,
                                    links=links, public_url=url)
    return World(store, config, clock, chat, service, slack, notify, twilio, mailbox, url, rest, mailer, closers)


def said(body: str) -> str:
    """The words of a TwiML answer (<Message> or <Say>), unescaped once as Twilio reads them."""
    import xml.etree.ElementTree as ET

    root = ET.fromstring(body)
    return " ".join((el.text or "") for el in root.iter() if el.tag in ("Message", "Say"))
