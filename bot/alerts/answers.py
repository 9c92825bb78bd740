"""What the paged person does with an alert group's page: Acknowledge, Resolve, Escalate, Declare incident.

Each answer is one unit of work: the page (``bot.oncall.paging``: the acknowledgement starts a call-out, the
siblings are cancelled; an escalation re-plans the next level under the labor rules), the group, an
``alert_group.<what>`` event on the chain (the global chain; the incident's once one is declared) naming the
configuration version that allowed the answer (put on the global chain the first time it is used), and the
group's outbox rows (``sync_group``: the escalation stops, the message loses its buttons, the next level's
pages go out).  Who may answer is config/permissions.yaml's ``acknowledge_page`` (``decline_page`` for
Decline), as for an incident's page: by default the paged person or an admin.  An answer that no longer applies (the page was
answered, the group resolved) changes nothing and says why.

"Declare incident" declares under the playbook the route names in ``declare_with`` (keyed by the group, so a
second press finds the same incident), then attaches the group to the incident: the group's alerts (their
dispositions) are copied onto the incident's timeline, its pages still open are cancelled (the incident's
playbook pages its own rota) and a later ``resolved`` from the source goes to the incident as for a declared
group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlmodel import Session, select

from bot.alerts.paging import end_callouts
from bot.alerts.tables import AlertGroup
from bot.audit.config_versions import decide_under
from bot.audit.trail import append_event
from bot.clock import Clock, ensure_utc
from bot.incidents.errors import Conflict, InvalidRequest, NotFound
from bot.incidents.permissions import Subject, authorize

FINAL = {"acked": "acknowledged", "declined": "declined", "cancelled": "no longer needed"}
AFTER_ACK = ("resolve", "declare an incident for")  # what the person who acknowledged may still do


@dataclass(frozen=True)
class Answer:
    group: int
    text: str
    incident: int | None = None  # the incident number, after Declare incident


class AlertPages:
    def __init__(self, store: Any, config: Callable[[], Any], clock: Clock, incidents: Any = None) -> None:
        """``incidents``: the :class:`~bot.incidents.service.IncidentService` (for Declare incident)."""
        self.store, self.config, self.clock, self.incidents = store, config, clock, incidents

    # --- the four buttons ---------------------------------------------------------------------

    def acknowledge(self, page_id: int, *, actor: str) -> Answer:
        from bot.oncall.paging import acknowledge

        def work(s: Session, page: Any, group: AlertGroup, at: datetime) -> str:
            acknowledge(s, page.id, by=actor, at=at)
            if group.status == "open":
                group.status = "acknowledged"
            group.last_at = at
            self._event(s, group, actor, "acknowledged", at, f"alert group {group.id} acknowledged by "
                        f"{self._who(actor, page)} (page #{page.id}); escalation stops", page)
            return f"You acknowledged alert group {group.id}: {group.summary}"

        return self._answer(page_id, actor, "acknowledge", work)

    def resolve(self, page_id: int, *, actor: str) -> Answer:
        from bot.oncall.paging import cancel_pending

        def work(s: Session, page: Any, group: AlertGroup, at: datetime) -> str:
            cancelled = cancel_pending(s, None, by=actor, at=at, alert_group_id=group.id)
            end_callouts(s, self.config(), group.id, at)
            group.status, group.open_key = "resolved", None
            group.resolved_at, group.resolved_by, group.last_at = at, f"person:{self._person(actor)}"[:64], at
            self._event(s, group, actor, "resolved", at, f"alert group {group.id} resolved by {self._who(actor, page)}; "
                        f"{len(cancelled)} pending page(s) cancelled", page, cancelled_pages=[p.id for p in cancelled])
            return f"You resolved alert group {group.id}: {group.summary}"

        return self._answer(page_id, actor, "resolve", work)

    def escalate(self, page_id: int, *, actor: str) -> Answer:
        def work(s: Session, page: Any, group: AlertGroup, at: datetime) -> str:
            new, who = self._next_level(s, page, at)
            self._event(s, group, actor, "escalated", at, f"{self._who(actor, page)} escalated alert group {group.id}: "
                        f"paging {who}", page, paged=[p.id for p in new])
            return f"Escalated alert group {group.id}: paging {who}"

        return self._answer(page_id, actor, "escalate", work)

    def decline(self, page_id: int, *, actor: str, reason: str) -> Answer:
        """Can't take it (an SMS ``decline``, the call's 2, the email link): the page is declined with the
        reason and the next level is paged, as for an incident's page."""
        from bot.oncall.paging import decline

        def work(s: Session, page: Any, group: AlertGroup, at: datetime) -> str:
            decline(s, page.id, by=actor, at=at, reason=reason)
            new, who = self._next_level(s, page, at)
            self._event(s, group, actor, "declined", at, f"{self._who(actor, page)} can't take alert group {group.id}: "
                        f"{reason}; paging {who}", page, paged=[p.id for p in new])
            return f"You can't take alert group {group.id}; paging {who}"

        return self._answer(page_id, actor, "decline", work)

    def declare(self, page_id: int, *, actor: str) -> Answer:
        """Open an incident from the group (keyed by the group: a second press finds the same incident) and
        attach the group to it in the same unit of work: its alerts onto the incident's timeline, its open pages
        cancelled (the playbook pages its own rota). A declaration made before the two were one unit of work and
        cut off between them is attached by the next press."""
        with self.store.session() as s:
            page, group = self._load(s, page_id, actor, "declare an incident for")
            playbook = _playbook(self.config().one("alerts"), group.route)
            if playbook is None:
                raise InvalidRequest(f"route {group.route} names no playbook to declare with (declare_with), and the "
                                     "fallback declares none: declare with /incident declare")
            title = group.summary or f"alert {group.key}"
            description = "\n".join([f"{k}={v}" for k, v in sorted((group.labels or {}).items())]
                                    + ([group.link] if group.link else []))[:4000]
            group_id = group.id

        def attach(session: Session, incident: Any) -> None:
            self._attach(session, group_id, incident, playbook, actor)

        result = self.incidents.declare(playbook, title, actor=actor, key=f"alert-group:{group_id}:declared",
                                        reporter=actor, description=description, also=attach)
        incident = result.incident
        if result.replayed:  # the declaration was made before: by a version that attached the group afterwards
            with self.store.session() as s:
                self._attach(s, group_id, incident, playbook, actor)
        return Answer(group_id, f"Declared INC-{incident.number} ({playbook}) from alert group {group_id}",
                      incident=incident.number)

    def _attach(self, s: Session, group_id: int, incident: Any, playbook: str, actor: str) -> None:
        """Hand the group to the incident, unless it already is."""
        from bot.oncall.paging import cancel_pending
        from bot.outbox.resync import sync_group

        at = ensure_utc(self.clock.now())
        group = s.exec(select(AlertGroup).where(AlertGroup.id == group_id).with_for_update()
                       .execution_options(populate_existing=True)).one()
        if group.incident_id is not None:
            return
        carried = _alerts_of(s, group)
        cancelled = cancel_pending(s, None, by=actor, at=at, alert_group_id=group.id)
        append_event(s, incident_id=None, actor=actor, kind="alert_group.declared", at=at,
                     summary=f"alert group {group.id} handed to INC-{incident.number} ({playbook}); "
                             f"{len(cancelled)} open page(s) of the group cancelled",
                     data={"group": group.id, "incident": incident.number, "playbook": playbook,
                           "cancelled_pages": [p.id for p in cancelled]})
        group.incident_id, group.last_at = incident.id, at
        s.add(group)
        end_callouts(s, self.config(), group.id, at, incident_id=incident.id)
        append_event(s, incident_id=incident.id, actor=actor, kind="alert_group.attached", at=at,
                     summary=f"declared from alert group {group.id} ({group.source}, {group.alerts} alert(s)): "
                             f"{group.summary}"[:4000],
                     data={"group": group.id, "source": group.source, "key": group.key,
                           "labels": group.labels or {}, "link": group.link, "alerts": group.alerts,
                           "opened_at": group.opened_at.isoformat(), "carried": len(carried)})
        for event in carried:  # the group's alerts on the incident's timeline, each citing its event
            append_event(s, incident_id=incident.id, actor=event.actor, kind="alert_group.alert", at=at,
                         summary=f"{ensure_utc(event.at).isoformat()} {event.summary}"[:4000],
                         data={"group": group.id, "was": event.kind, "at": ensure_utc(event.at).isoformat(),
                               "chain": event.chain, "seq": event.seq, "hash": event.hash,
                               "data": event.data})
        sync_group(s, self.config(), group.id, at)

    # --- shared --------------------------------------------------------------------------------

    def _person(self, actor: str) -> str:
        """The person id of a Slack user (the user id itself if config/people.yaml does not know them)."""
        from bot.oncall.directory import person_by_slack

        config = self.config()
        return (person_by_slack(config, actor) if config.loaded("people") else None) or actor

    def _who(self, actor: str, page: Any) -> str:
        """Who answered, as the chain says it: the paged person, or someone permitted answering for them."""
        person = self._person(actor)
        return page.person_id if person == page.person_id else f"{person} for {page.person_id}"

    def _next_level(self, s: Session, page: Any, at: datetime) -> tuple[list[Any], str]:
        """Page the next level now (re-planned under the labor rules); the new pages and who they are."""
        from bot.oncall.paging import escalate

        new = escalate(s, self.config(), page.id, at=at)
        return new, ", ".join(p.person_id for p in new) or "nobody new (see the chain for why)"

    def _answer(self, page_id: int, actor: str, what: str,
                work: Callable[[Session, Any, AlertGroup, datetime], str]) -> Answer:
        from bot.outbox.resync import sync_group

        at, config = ensure_utc(self.clock.now()), self.config()
        with self.store.session() as s:
            # the permission decision names the configuration that made it, which is on the global chain
            decide_under(s, config, at)
            page, group = self._load(s, page_id, actor, what, config)
            text = work(s, page, group, at)
            s.add(group)
            sync_group(s, config, group.id, at)
            return Answer(group.id, text)

    def _load(self, s: Session, page_id: int, actor: str, what: str, config: Any = None) -> tuple[Any, AlertGroup]:
        from bot.oncall.tables import Page

        page = s.get(Page, page_id)
        if page is None or page.alert_group_id is None:
            raise NotFound(f"expected the page of an alert group, got page #{page_id}")
        # The same permissions as an incident's page (config/permissions.yaml): by default the paged person or an
        # admin; a team may let, say, its rota members answer for each other (e.g. acknowledge_page: [page_recipient,
        # group:platform-oncall]).
        authorize(config if config is not None else self.config(),
                  "decline_page" if what == "decline" else "acknowledge_page", actor,
                  Subject(label=f"alert group {page.alert_group_id}", page_recipient=page.slack_user))
        group = s.exec(select(AlertGroup).where(AlertGroup.id == page.alert_group_id).with_for_update()
                       .execution_options(populate_existing=True)).one()
        if group.incident_id is not None:
            raise Conflict(f"alert group {group.id} is handled by an incident now: answer there")
        if group.status == "resolved":
            raise Conflict(f"alert group {group.id} is resolved already ({group.resolved_by}); nothing to {what}")
        s.refresh(page, with_for_update=True)
        if page.status in FINAL and not (page.status == "acked" and what in AFTER_ACK):
            raise Conflict(f"page #{page_id} is {FINAL[page.status]} already; nothing to {what}")
        if what == "escalate" and page.status not in ("planned", "held", "sent"):
            raise Conflict(f"page #{page_id} has escalated already")
        return page, group

    @staticmethod
    def _event(s: Session, group: AlertGroup, actor: str, what: str, at: datetime, summary: str, page: Any,
               **extra: Any) -> None:
        append_event(s, incident_id=group.incident_id, actor=actor, kind=f"alert_group.{what}", at=at,
                     summary=summary[:4000],
                     data={"group": group.id, "source": group.source, "key": group.key, "status": group.status,
                           "page_id": page.id, "person": page.person_id, **extra})


CARRIED = 200  # at most this many of a group's alerts are copied onto the incident's timeline (the rest: counted)


def _alerts_of(s: Session, group: AlertGroup) -> list[Any]:
    """The group's alerts and answers so far (its ``alert.*`` and ``alert_group.*`` events on the global chain),
    oldest first, at most :data:`CARRIED`."""
    from bot.audit.tables import TimelineEvent

    rows = s.exec(select(TimelineEvent).where(TimelineEvent.chain == "global", TimelineEvent.at >= group.opened_at,
                                              TimelineEvent.kind.startswith("alert"))  # type: ignore[attr-defined]
                  .order_by(TimelineEvent.seq)).all()
    return [e for e in rows if (e.data or {}).get("group") == group.id][:CARRIED]


def _playbook(alerts: Any, route_name: str) -> str | None:
    """The playbook Declare incident uses: the group's route's ``declare_with``, else the fallback's ``declare``."""
    route = None
    if route_name == "fallback":
        route = alerts.fallback
    elif route_name.startswith("routes[") and route_name.endswith("]") and route_name[7:-1].isdigit():
        i = int(route_name[7:-1])
        route = alerts.routes[i] if i < len(alerts.routes) else None
    if route is not None and route.declare_with:
        return route.declare_with
    return alerts.fallback.declare
