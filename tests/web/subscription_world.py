"""A status page with email subscriptions for the tests: the real incident service on a ManualClock, the web
view's Flask app (test client), a real SMTP server (aiosmtpd) on loopback and the status-mail worker."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from types import SimpleNamespace
from typing import Any

from aiosmtpd.controller import Controller
from sqlmodel import select

from bot.clock import ManualClock
from bot.incidents.service import IncidentService
from bot.notify.smtp import SmtpMailer
from bot.notify.status_mail import StatusMailDispatcher
from bot.subscriptions.links import SubscriptionLinks
from bot.subscriptions.tables import StatusMail, StatusSubscriber
from bot.web.app import WebServices, create_app
from bot.web.links import WebLinks
from bot.web.status_subscriptions import Subscriptions
from tests.notify.world import Mailbox, free_port

KATRIN, SAM = "U0KATRIN1", "U0SAM0001"  # commander; comms lead
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
SECRET = "s" * 40
PUBLIC = "http://status.example.org/web"


class FlakyMailbox(Mailbox):
    """A mailbox whose server answers ``fail`` (e.g. "451 ...") to the next ``failures`` messages."""

    def __init__(self) -> None:
        super().__init__()
        self.failures = 0
        self.fail = "451 4.3.0 try again later"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.failures:
            self.failures -= 1
            return self.fail
        return await super().handle_DATA(server, session, envelope)


@dataclass
class StatusWorld:
    store: Any
    clock: ManualClock
    service: IncidentService
    client: Any
    mailbox: FlakyMailbox
    worker: StatusMailDispatcher
    closers: list = field(default_factory=list)
    incidents: int = 0

    def subscribe(self, address: str) -> Any:
        return self.client.post("/status/subscribe", data={"email": address})

    def mails_to(self, address: str) -> list[Message]:
        return [m for m in self.mailbox.messages if m["To"] == address]

    def link(self, mail: Message, path: str) -> str:
        """The path and query of the link to ``/status/<path>`` in ``mail``, as the test client takes it."""
        body = mail.get_content()
        (url,) = re.findall(rf"{re.escape(PUBLIC)}(/status/{path}\?t=\S+)", body)
        return url

    def subscribed(self, address: str) -> None:
        """Subscribe, receive the confirmation mail, press its button."""
        assert self.subscribe(address).status_code == 202
        self.worker.run_due()
        confirm = self.link(self.mails_to(address)[-1], "confirm")
        assert self.client.post(confirm).status_code == 200

    def declare(self) -> int:
        self.incidents += 1
        n = self.incidents
        self.service.declare("sev2", f"Checkout is slow {n}", actor=KATRIN, key=f"d{n}")
        self.service.assign_role(n, "comms_lead", SAM, actor=KATRIN, key=f"r{n}")
        return n

    def publish(self, number: int, status: str, text: str) -> Any:
        """A statement (sev2 asks for no sign-off: published at once)."""
        return self.service.draft_statement(number, status, text, actor=SAM, key=f"s-{number}-{text[:20]}")

    def mails(self) -> list[StatusMail]:
        return self._rows(StatusMail)

    def subscribers(self) -> list[StatusSubscriber]:
        return self._rows(StatusSubscriber)

    def _rows(self, table: Any) -> list[Any]:
        with self.store.session() as s:
            rows = list(s.exec(select(table).order_by(table.id)).all())
            for r in rows:
                s.expunge(r)
            return rows

    def close(self) -> None:
        for close in reversed(self.closers):
            close()


def build(store: Any, config: Any, *, per_hour: int = 30) -> StatusWorld:
    clock = ManualClock(NOW)
    service = IncidentService(store, lambda: config, clock)
    mailbox = FlakyMailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    web_config = SimpleNamespace(settings=config.settings.model_copy(update={"status_confirmations_per_hour": per_hour}))
    links = SubscriptionLinks(SECRET, clock)
    app = create_app(WebServices(incidents=service, config=lambda: web_config, clock=clock,
                                 links=WebLinks(store, clock, "k" * 40, base_url=PUBLIC), store=store,
                                 subscriptions=Subscriptions(links)))
    mailer = SmtpMailer(host="127.0.0.1", port=port, sender="status@example.org")
    worker = StatusMailDispatcher(store, lambda: config, mailer, clock, links=links, public_url=PUBLIC)
    return StatusWorld(store, clock, service, app.test_client(), mailbox, worker, [controller.stop])
