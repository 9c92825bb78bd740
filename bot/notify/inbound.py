"""Answers that come back on the channel the page arrived on: an SMS reply, a key pressed on the call,
a link clicked in the email.  The webhook adapter (``bot/notify/webhooks.py``) has verified the
provider's signature (or the link's) before anything here runs.

Each answer is an ordinary acknowledgement or decline through the incident service, as the paged person
(found by the phone number the reply came from or the call went to, and the page it answers: people who
share a phone answer each their own pages; or named in the signed link), keyed by the provider's message id
so a replayed webhook returns the first answer and changes nothing.  An acknowledgement on
any channel stops the pending steps on every other (the re-sync cancels them in the same transaction).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from bot.incidents.errors import IncidentError
from bot.notify.links import LinkClaim

_SMS = re.compile(r"^\s*(ack|acknowledge|decline|help|\?)\b[\s#:]*(\d+)?\s*(.*)$", re.IGNORECASE | re.DOTALL)
HELP = ("Reply 'ack <page>' to take a page, 'decline <page> <reason>' if you cannot "
        "(e.g. 'decline 17 driving, 30 min away'). The page number is in the page message.")


@dataclass(frozen=True)
class Reply:
    text: str
    changed: bool  # False: nothing was changed (unknown, refused, replayed, help)


@dataclass(frozen=True)
class CallScript:
    """What a page call says when it is answered, and whether it then waits for a key."""

    text: str
    ask: bool


class Inbound:
    def __init__(self, service: Any, config: Callable[[], Any], *, alert_pages: Any = None) -> None:
        """``alert_pages``: the answers to an alert group's page (``bot.alerts.answers.AlertPages``), for the
        pages of a page route, which have no incident; without it such a page is answered in Slack only."""
        self.service = service
        self.config = config
        self.alert_pages = alert_pages

    def _people_by_phone(self, phone: str) -> list[Any]:
        """Everyone with this phone number: usually one person, several when they share a phone (a team's
        on-call handset, a home landline); ``bot check`` warns about shared numbers."""
        people = self.config().one("people")
        compact = phone.replace(" ", "").replace("-", "")
        return [p for p in people.people if p.contact.phone and p.contact.phone == compact]

    def _person(self, person_id: str) -> Any | None:
        people = self.config().one("people")
        return next((p for p in people.people if p.id == person_id), None)

    def _page_of(self, page_id: int) -> Any | None:
        from bot.oncall.tables import Page

        with self.service.ctx.store.session() as s:
            page = s.get(Page, page_id)
            if page is not None:
                s.expunge(page)
            return page

    def _only_live_page(self, people: list[Any]) -> int | None:
        """The one open page of any of ``people`` (who share the number a reply came from)."""
        from sqlmodel import select

        from bot.oncall.tables import Page

        with self.service.ctx.store.session() as s:
            ids = s.exec(select(Page.id).where(
                Page.person_id.in_(sorted(p.id for p in people)),  # type: ignore[attr-defined]
                Page.status.in_(("planned", "held", "sent", "escalated")))).all()  # type: ignore[attr-defined]
        return int(ids[0]) if len(ids) == 1 else None

    def _act(self, people: list[Any], page_id: int, action: str, reason: str, key: str) -> Reply:
        """Answer page ``page_id`` as the one of ``people`` (who share the number, or the one a link names) it is for."""
        page = self._page_of(page_id)
        person = next((p for p in people if page is not None and p.id == page.person_id), None)
        if page is None or person is None:
            return Reply(f"There is no page {page_id} for you; nothing was changed. {HELP}", False)
        if page.incident_id is None and page.alert_group_id is not None:
            return self._act_on_alert_page(person, page_id, action, reason)
        try:
            if action == "ack":
                outcome = self.service.acknowledge_page(page_id, actor=person.slack, key=key)
            else:
                outcome = self.service.decline_page(page_id, reason or "declined by reply, no reason given",
                                                    actor=person.slack, key=key)
        except IncidentError as exc:
            return Reply(f"{exc}; nothing was changed.", False)
        if outcome.replayed:
            return Reply(f"This answer was already handled ({outcome.message}); nothing was changed.", False)
        return Reply(outcome.message + ".", True)

    def _act_on_alert_page(self, person: Any, page_id: int, action: str, reason: str) -> Reply:
        """A page route's page: acknowledged, or declined (the next level is paged). A replayed request finds the
        page answered and changes nothing."""
        if self.alert_pages is None:
            return Reply(f"Page {page_id} is an alert's page: answer it in Slack; nothing was changed.", False)
        try:
            if action == "ack":
                answer = self.alert_pages.acknowledge(page_id, actor=person.slack)
            else:
                answer = self.alert_pages.decline(page_id, actor=person.slack,
                                                  reason=reason or "declined by reply, no reason given")
        except IncidentError as exc:
            return Reply(f"{exc}; nothing was changed.", False)
        return Reply(answer.text + ".", True)

    def sms(self, *, from_phone: str, body: str, message_id: str) -> Reply:
        """An SMS reply: ``ack 17``, ``decline 17 <reason>``, ``help`` (``ack`` alone: the only open page)."""
        people = self._people_by_phone(from_phone)
        if not people:
            return Reply("This number is not on any rota; nothing was changed.", False)
        match = _SMS.match(body or "")
        if match is None or match.group(1).lower() in ("help", "?"):
            return Reply(HELP, False)
        action = "ack" if match.group(1).lower().startswith("ack") else "decline"
        page_id = int(match.group(2)) if match.group(2) else self._only_live_page(people)
        if page_id is None:
            whose = "You have" if len(people) == 1 else "The people with this number have"
            return Reply(f"Which page? {whose} none or several open. {HELP}", False)
        return self._act(people, page_id, action, match.group(3).strip()[:500], f"sms:{message_id}")

    def keypad(self, *, page_id: int, to_phone: str, digits: str, call_id: str) -> Reply:
        """A key pressed on the page call: 1 acknowledges, 2 declines."""
        people = self._people_by_phone(to_phone)
        if not people:
            return Reply("This number is not on any rota; nothing was changed.", False)
        if digits not in ("1", "2"):
            return Reply("Press 1 to acknowledge, 2 if you cannot take it.", False)
        action = "ack" if digits == "1" else "decline"
        return self._act(people, page_id, action, "declined on the page call", f"call:{call_id}:{digits}")

    def call_answered(self, *, page_id: int, to_phone: str) -> CallScript:
        """The callee picked up: the page as it is now. Still theirs to take: its words and the keypad.
        Acknowledged (by anyone, anywhere), handed on, cancelled or over while the phone rang: say so and ask
        nothing, so that nobody acknowledges a page that no longer needs them."""
        from sqlmodel import select

        from bot.incidents.tables import Incident
        from bot.notify.messages import page_message
        from bot.notify.plan import stop_reason
        from bot.oncall.tables import Page

        people = self._people_by_phone(to_phone)
        with self.service.ctx.store.session() as s:
            page = s.get(Page, page_id)
            if page is None or page.person_id not in {p.id for p in people}:
                return CallScript("This call is about a page that is not yours. Nothing to do. Goodbye.", False)
            incident = s.get(Incident, page.incident_id) if page.incident_id is not None else None
            group = None
            if incident is None and page.alert_group_id is not None:  # a page route's page: its alert group
                from bot.alerts.tables import AlertGroup

                group = s.get(AlertGroup, page.alert_group_id)
            same = (Page.incident_id == page.incident_id) if incident is not None else \
                (Page.alert_group_id == page.alert_group_id) if group is not None else None
            acked = set(s.exec(select(Page.target).where(same, Page.status == "acked")).all()) \
                if same is not None else set()
            stop = stop_reason(page, incident, acked)
            if stop is not None:
                return CallScript(f"Page {page_id} no longer needs you: {stop}. Nothing to do. Goodbye.", False)
            message = page_message(method="voice", to=to_phone, page=page, incident=incident, step=0, group=group)
        return CallScript(message.text, True)

    def link(self, claim: LinkClaim) -> Reply:
        """A signed link from a page email (verified by the adapter): acknowledges the page it names."""
        page = self._page_of(claim.page_id)
        person = self._person(page.person_id) if page is not None else None
        if page is None or person is None:
            return Reply("This link names a page that does not exist; nothing was changed.", False)
        return self._act([person], claim.page_id, claim.action, "declined from the email link",
                         f"email:{claim.ref}:{claim.action}")

    def delivery_status(self, *, message_id: str, status: str, error_code: str) -> str:
        """Twilio's status callback for a message the bot sent (see :func:`bot.notify.delivery.delivery_report`)."""
        from bot.notify.failover import delivery_report

        with self.service.ctx.store.session() as s:
            return delivery_report(s, self.config(), message_id, status, error_code, self.service.ctx.now())
