"""What happens to every accepted alert, each with a disposition on the audit chain.

Receipts are triaged in the order they were accepted, one event at a time; the unit of work that records an
event's effects and disposition also advances the receipt's ``done`` (:mod:`bot.alerts.receipts`) (one unit of
work takes the events of many receipts, up to the first that opens a new group, declared in units of work of its
own):

* **suppressed**: a maintenance window or silence in force matches; nobody is paged; the window's id, reason and
  owner are recorded.
* **grouped**: the key already has an open group; counted, not paged again.
* **flapping**: the key's group resolved less than ``grouping.window`` ago; the group is reopened, counted as a
  flap, not paged again.
* **incident**: a new group; the route (or the fallback) declares an incident with its playbook through the
  incident service, whose labor-aware page plan records the pages the scheduler delivers.  The declaration is
  keyed by the group (``alert-group:<id>``): a crash between the group and the incident replays the same
  declaration, so a group pages once.
* **paged**: a new group on a ``page:`` route; its rota is paged without an incident (:mod:`bot.alerts.paging`:
  the same labor-aware planner, the urgency from the route or the alert's severity label), in the transaction
  that opens the group; who is paged now and who is held until when is recorded.
* **unrouted**: a new group that neither its route nor the fallback could turn into an incident or a page (a
  playbook or rotation a reload took away, a route that pages where it should declare); the failures are
  recorded, nobody is paged, the group stays open (a repeat is grouped into it) and the operators are told once
  per group (:mod:`bot.alerts.unrouted`).
* **resolved**: the source says it is over; the group resolves and the incident's (or, without one, the
  group's) pages still pending are cancelled with their sends and escalations (an incident itself stays open
  for people to resolve: that is a human decision).
* **acknowledged**: a PagerDuty-style acknowledge from the sender.
* **unmatched**: a resolve or acknowledge for a key with no open group; nothing to do.

Disposition events go on the incident's chain when the group has an incident, else on the global chain.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.alerts.batch import Batch, Receipt, next_chunk, one_at_a_time, open_keys
from bot.alerts.receipts import Receipts
from bot.alerts.events import AlertEvent
from bot.alerts.paging import has_pages
from bot.alerts.routing import choose_route, suppression
from bot.alerts.set_aside import Failures
from bot.alerts.unrouted import tell_unrouted
from bot.alerts.tables import AlertGroup
from bot.audit.trail import NewEvent
from bot.clock import Clock, ensure_utc
from bot.store.database import after_commit
from bot.store.outage import about_the_database

log = logging.getLogger(__name__)

@dataclass(frozen=True)
class Disposition:
    receipt: int
    index: int
    kind: str  # suppressed | grouped | flapping | incident | paged | unrouted | resolved | acknowledged | unmatched
    group: int | None
    summary: str


def _event_data(receipt: Receipt, index: int, event: AlertEvent, key: str) -> dict[str, Any]:
    return {"receipt": receipt.id, "index": index, "source": receipt.source, "format": receipt.format,
            "key": key, "action": event.action, "summary": event.summary, "labels": event.labels,
            "severity": event.severity, "link": event.link, "alerts": event.count}


@functools.cache
def _recently_resolved() -> Any:
    """The key's last resolved group; built once (building a statement costs as much as running it)."""
    return (select(AlertGroup).where(AlertGroup.source == bindparam("source"), AlertGroup.key == bindparam("key"),
                                     AlertGroup.open_key.is_(None))  # type: ignore[union-attr]
            .order_by(AlertGroup.resolved_at.desc()).limit(1))  # type: ignore[union-attr]


class Triage:
    def __init__(self, store, config: Callable[[], Any], clock: Clock, incidents: Any, *,
                 on_declared: Callable[[Any], None] | None = None,
                 intake_busy: Callable[[], bool] | None = None, write_lock: Any = None, pause: float = 2.0) -> None:
        """``incidents`` is the :class:`~bot.incidents.service.IncidentService`; ``on_declared(result)`` lets
        the chat adapter open the new incident's channel; ``intake_busy()`` says alerts are arriving right now:
        triage then leaves the intake ``pause`` times the time each of its transactions took (at least 5 ms),
        so that senders are answered fast during an alert storm and triage catches up after it."""
        self.pause = pause
        # SQLite: other writers (a command, the scheduler) wait in SQLite's busy handler, which is not fair: a
        # backlog is worked through with a short gap after each transaction, so that they get their turn.
        self.one_writer = store.engine.dialect.name == "sqlite"
        self.store, self.config, self.clock, self.incidents = store, config, clock, incidents
        self.on_declared = on_declared
        self.intake_busy = intake_busy
        self.write_lock = write_lock if write_lock is not None else contextlib.nullcontext()
        self.receipts = Receipts.of(store)
        self.failures = Failures(store, self.receipts, self.write_lock, config=config)

    def _alerts(self):
        return self.config().one("alerts")

    def check_heartbeats(self) -> list[str]:
        from bot.alerts.heartbeats import check

        config = self.config()
        return check(self.store, config.one("alerts"), self.clock.now()) if config.loaded("alerts") else []

    def run_pending(self, limit: int = 2000, batch: int = 200, max_seconds: float = 0.05) -> list[Disposition]:
        """Triage up to ``limit`` waiting receipts in order.  Events that open no incident are handled up to
        ``batch`` receipts (or ``max_seconds``) per transaction, their disposition events appended with one
        INSERT; a declaration always gets transactions of its own.  The receipts are read and parsed before
        the transactions, which only read their progress again; a transaction takes the receipts up to the
        first that (by the groups open when this pass began) opens a new group.  A receipt whose triage fails
        holds up no other (:mod:`bot.alerts.set_aside`); a failure of the database as a whole ends the pass."""
        alerts = self._alerts()
        with self.store.session() as s:
            pending = self.receipts.waiting(s, limit)
            opened = open_keys(s, pending, alerts)
        out: list[Disposition] = []
        pos = alone_until = 0  # the receipts before alone_until get a transaction each: their chunk failed
        while pos < len(pending):
            started = time.monotonic()
            chunk = [pending[pos]] if pos < alone_until else next_chunk(pending, pos, batch, opened, alerts)
            before, committed = [(r.done, r.state, r.triaged_at) for r in chunk], []
            try:
                taken, done, declare = self._transaction(chunk, alerts, opened, started, max_seconds, committed)
            except Exception as exc:
                if about_the_database(exc) or committed:
                    raise  # about no receipt (the pass is retried as a whole), or after the commit: as before
                taken, done, declare = 0, [], None
                if self.failures.rolled_back(chunk, before, exc, ensure_utc(self.clock.now())):
                    alone_until = pos + len(chunk)  # which receipt fails? each on its own
                else:
                    pos += 1  # it failed on its own: it waits for the next pass, or was set aside
            out += done
            pos += taken
            self.failures.forget(r.id for r in chunk[:taken])
            if declare is not None:  # several short transactions: the intake's inserts may come in between
                ok, declared = self.failures.declaring(self._declare, declare, self.clock.now)
                pos += 0 if ok else 1  # it failed on its own: it waits for the next pass, or was set aside
                if declared is not None:
                    out.append(declared)
            busy = self.intake_busy is not None and self.intake_busy()
            if busy or (self.one_writer and pos < len(pending)):
                time.sleep(max(0.005, self.pause * (time.monotonic() - started) if busy else 0.0))
        return out

    def _transaction(self, chunk: list[Receipt], alerts: Any, opened: set[tuple[str, str]], started: float,
                     max_seconds: float, committed: list[bool]) -> tuple[int, list[Disposition], tuple | None]:
        """One transaction over ``chunk``: how many of its receipts it finished, their dispositions, and the
        declaration that ended it, if one did; ``committed`` gets True once it committed."""
        taken, out, declare = 0, [], None
        with self.write_lock, self.store.session() as s:
            after_commit(s, lambda: committed.append(True))  # first: before the inbox copy
            one_at_a_time(s)
            self.receipts.lock_progress(s, chunk)
            work = Batch(s, chunk, alerts, self.receipts)
            for receipt in chunk:
                while receipt.state == "accepted" and receipt.done < len(receipt.events):
                    index = receipt.done
                    event = receipt.events[index]
                    step = self._step(work, receipt, index, event, alerts, ensure_utc(self.clock.now()))
                    if not isinstance(step, Disposition):
                        declare = (receipt, index, event, *step)
                        break
                    out.append(step)
                if declare is not None:
                    break
                if receipt.state == "accepted":
                    self._finish(work, receipt)
                taken += 1
                if time.monotonic() - started > max_seconds:
                    break
            work.write()
            work.note_open(opened)
        return taken, out, declare

    def _finish(self, work: Batch, receipt: Receipt) -> None:
        receipt.state, receipt.triaged_at = "triaged", ensure_utc(self.clock.now())
        work.moved(receipt)

    # --- one event ---------------------------------------------------------------------------

    def _claim(self, s: Session, receipt: Receipt, index: int) -> Receipt | None:
        self.receipts.lock_progress(s, [receipt])
        return receipt if receipt.state == "accepted" and receipt.done == index else None

    def _step(self, work: Batch, receipt: Receipt, index: int, event: AlertEvent, alerts: Any,
              now: datetime) -> Disposition | tuple[int, str, dict[str, Any]]:
        """Handle one event in the batch's transaction: its disposition, or (group id, its route, data) to
        declare."""
        s, pending_declare = work.session, None
        key = work.key(receipt.source, event)
        data = _event_data(receipt, index, event, key)
        group = work.open_group(receipt.source, key)
        if event.action != "trigger" and group is None:
            return self._record(work, receipt, data, None, "unmatched", now,
                                f"{event.action} for an alert with no open group; nothing to do")
        if event.action == "resolve":
            return self._resolve(work, receipt, data, group, now)
        if event.action == "acknowledge":
            return self._acknowledge(work, receipt, data, group, now)
        if group is not None and group.status == "opening" and group.incident_id is None:
            pending_declare = group.id, group.route  # a crash came between the group and its incident: finish it
        elif group is not None:
            group.alerts += 1
            group.last_at = now
            return self._record(work, receipt, data, group, "grouped", now,
                                f"alert grouped into alert group {group.id} ({group.alerts} alerts); not paged again")
        else:
            if event.details.get("muted"):
                data |= {"muted": event.details["muted"]}
                return self._record(work, receipt, data, None, "suppressed", now,
                                    f"alert of a muted monitor ({event.details['muted']}); nobody paged")
            held = suppression(alerts, receipt.source, event.labels, now)
            if held is not None:
                w = held.window
                data |= {"window": w.id, "reason": w.reason, "owner": w.owner, "ends": w.ends.isoformat()}
                return self._record(work, receipt, data, None, "suppressed", now,
                                    f"alert suppressed by {held.kind} {w.id} (owner {w.owner}: {w.reason}); "
                                    "nobody paged")
            recent = s.exec(_recently_resolved(), params={"source": receipt.source, "key": key}).first()
            if recent is not None and recent.resolved_at is not None \
                    and now - ensure_utc(recent.resolved_at) < alerts.grouping.window:
                quiet = int((now - ensure_utc(recent.resolved_at)).total_seconds())
                recent.open_key, recent.status = key, "open"
                recent.flaps += 1
                recent.alerts += 1
                recent.last_at, recent.resolved_at, recent.resolved_by = now, None, None
                s.add(recent)
                work.groups[(receipt.source, key)] = recent
                return self._record(work, receipt, data, recent, "flapping", now,
                                    f"alert fired again {quiet}s after resolving, within the {alerts.grouping.window} window: alert group {recent.id} reopened "
                                    f"(flap {recent.flaps}); not paged again")
            chosen = choose_route(alerts, receipt.source, event.labels)
            if chosen.route.page is not None:
                return self._page(work, receipt, data, event, chosen, key, now)
            group = AlertGroup(source=receipt.source, key=key, open_key=key, status="opening",
                               summary=event.summary[:1024], route=chosen.name, alerts=1,
                               opened_at=now, last_at=now, labels=dict(event.labels), link=event.link[:2000] or None)
            s.add(group)
            s.flush()
            work.groups[(receipt.source, key)] = group
            pending_declare = group.id, group.route
        return (*pending_declare, data)

    def _declare(self, receipt: Receipt, index: int, event: AlertEvent, group_id: int, route_name: str,
                 data: dict[str, Any]):
        """``route_name``: the group's route as the transaction that found or opened the group read it (a
        group's route changes only here, after its declaration), kept if no route can declare."""
        from bot.incidents.errors import IncidentError

        alerts, config = self._alerts(), self.config()
        chosen = choose_route(alerts, data["source"], event.labels)
        attempts = [(chosen.name, chosen.route)] + ([("fallback", alerts.fallback)] if chosen.name != "fallback" else [])
        result, failures = None, []
        for name, route in attempts:
            if route.declare is None:  # a page route (the fallback, or a reload made this route one)
                failures.append(f"{name}: pages {route.page}, declares nothing")
                continue
            try:
                reporter = _slack_of(config, route.commander)
                with self.write_lock:  # SQLite: the intake waits for the declaration on the lock, not in a busy loop
                    result = self.incidents.declare(
                        route.declare, event.summary or f"alert {event.key}", actor=f"alerts:{data['source']}",
                        key=f"alert-group:{group_id}" + ("" if name == chosen.name else ":fallback"),
                        reporter=reporter, description=_description(event))
                route_name = name
                break
            except (IncidentError, ValueError, KeyError) as exc:  # e.g. the playbook went away in a reload
                failures.append(f"{name} ({route.declare}): {exc}")
                log.error("alert group %s: route %s could not declare: %s", group_id, name, exc)
        now = ensure_utc(self.clock.now())
        with self.write_lock, self.store.session() as s:
            one_at_a_time(s)
            if self._claim(s, receipt, index) is None:
                return None
            work = Batch(s, [receipt], alerts, self.receipts)
            group = s.get(AlertGroup, group_id)
            group.status, group.route = "open", route_name
            if result is None:  # the group, read in this session, is saved with it
                data |= {"failures": failures}
                unrouted = self._record(work, receipt, data, group, "unrouted", now,
                                        "alert could not open an incident on its route nor on the fallback: "
                                        + "; ".join(failures) + " — fix config/alerts.yaml; the group stays open")
                tell_unrouted(s, config, group, failures, now)
                work.write()
                return unrouted
            group.incident_id = result.incident.id
            s.add(group)
            pages = [{"person": p.person_id, "status": p.status, "page_at": p.page_at.isoformat() if p.page_at else None,
                      "urgency": p.urgency, "target": p.target} for p in result.pages]
            data |= {"route": route_name, "playbook": result.incident.severity, "incident": result.incident.number,
                     "pages": pages, "failures": failures}
            who = ", ".join(f"{p['person']} ({p['status']}" + (f" until {p['page_at']}" if p["status"] == "held" else "")
                            + ")" for p in pages) or "nobody (see the page plan's skips)"
            disposition = self._record(work, receipt, data, group, "incident", now,
                                       f"alert opened {result.incident.label} ({result.incident.severity}) by "
                                       f"{route_name}; paging {who}")
            work.write()
        if self.on_declared is not None and not result.replayed:
            try:
                self.on_declared(result)
            except Exception:  # the chat side retries on its own; the incident and its pages are stored
                log.exception("alert group %s: opening the incident channel failed", group_id)
        return disposition

    def _page(self, work: Batch, receipt: Receipt, data: dict[str, Any], event: AlertEvent, chosen: Any, key: str,
              now: datetime) -> Disposition:
        """A ``page:`` route: a new group, paged without an incident, in this transaction (nothing to declare)."""
        from bot.alerts.paging import page_group, who_is_paged
        from bot.oncall.planner import resolve_policy
        from bot.oncall.team import team_of

        s, config = work.session, self.config()
        group = AlertGroup(source=receipt.source, key=key, open_key=key, status="open", summary=event.summary[:1024],
                           route=chosen.name, alerts=1, opened_at=now, last_at=now, labels=dict(event.labels),
                           link=event.link[:2000] or None)
        s.add(group)
        s.flush()
        work.groups[(receipt.source, key)] = group
        data |= {"route": chosen.name, "target": chosen.route.page}
        try:
            resolve_policy(team_of(config), chosen.route.page)  # checked before anything is written for it
        except KeyError as exc:  # e.g. the rotation went away in a reload
            log.error("alert group %s: route %s could not page: %s", group.id, chosen.name, exc)
            data |= {"failures": [f"{chosen.name} ({chosen.route.page}): {exc}"]}
            tell_unrouted(s, config, group, data["failures"], now)
            return self._record(work, receipt, data, group, "unrouted", now,
                                f"alert could not page {chosen.route.page}: {exc} — fix config/alerts.yaml; "
                                "the group stays open")
        work.write()  # the dispositions before this one precede the page events on the chain
        paged = page_group(s, config, group, chosen.route, event, now, actor=f"alerts:{receipt.source}")
        data |= paged
        return self._record(work, receipt, data, group, "paged", now,
                            f"alert paged {paged['target']} ({paged['urgency']} urgency, from the "
                            f"{paged['urgency_from']}) by {chosen.name}, no incident; paging {who_is_paged(paged)}")

    def _resolve(self, work: Batch, receipt: Receipt, data: dict[str, Any], group: AlertGroup,
                 now: datetime) -> Disposition:
        s = work.session
        work.write()  # the dispositions before this one precede the cancellations on the chain
        work.groups[(group.source, group.key)] = None
        group.status, group.open_key = "resolved", None
        group.resolved_at, group.resolved_by, group.last_at = now, f"source:{receipt.source}", now
        s.add(group)
        cancelled = []
        if group.incident_id is not None:
            from bot.oncall.paging import cancel_pending
            from bot.outbox.resync import sync_incident

            cancelled = cancel_pending(s, group.incident_id, by=f"alerts:{receipt.source}", at=now)
            sync_incident(s, self.config(), group.incident_id, now)
        elif has_pages(s, group.id):
            from bot.oncall.paging import cancel_pending
            from bot.outbox.resync import sync_group

            from bot.alerts.paging import end_callouts

            cancelled = cancel_pending(s, None, by=f"alerts:{receipt.source}", at=now, alert_group_id=group.id)
            end_callouts(s, self.config(), group.id, now)  # whoever took it is released
            sync_group(s, self.config(), group.id, now)  # their sends and escalations are cancelled with them
        data |= {"cancelled_pages": [p.id for p in cancelled]}
        return self._record(work, receipt, data, group, "resolved", now,
                            f"alert group {group.id} resolved by the source; {len(cancelled)} pending page(s) cancelled")

    def _acknowledge(self, work: Batch, receipt: Receipt, data: dict[str, Any], group: AlertGroup,
                     now: datetime) -> Disposition:
        group.status, group.last_at = "acknowledged", now
        return self._record(work, receipt, data, group, "acknowledged", now,
                            f"alert group {group.id} acknowledged by the source")

    def _record(self, work: Batch, receipt: Receipt, data: dict[str, Any], group: AlertGroup | None,
                kind: str, now: datetime, summary: str) -> Disposition:
        data = {**data, "disposition": kind, "group": group.id if group else None}
        work.events.append(NewEvent(incident_id=group.incident_id if group else None, actor=f"alerts:{receipt.source}",
                                    kind=f"alert.{kind}", at=now,
                                    summary=f"{data['summary'] or data['key']}: {summary}"[:4000], data=data))
        receipt.done = data["index"] + 1
        work.moved(receipt)
        if receipt.done >= len(receipt.events):
            self._finish(work, receipt)
        return Disposition(receipt.id, data["index"], kind, group.id if group else None, summary)


def _slack_of(config: Any, person_id: str) -> str:
    from bot.oncall.directory import slack_user_of

    return slack_user_of(config, person_id)


def _description(event: AlertEvent) -> str:
    lines = [f"{k}={v}" for k, v in sorted(event.labels.items())]
    if event.link:
        lines.append(event.link)
    return "\n".join(lines)[:4000]
