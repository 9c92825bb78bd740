"""What happens to every accepted alert, each with a disposition on the audit chain.

Receipts are triaged in the order they were accepted, one event at a time;
the unit of work that records an event's effects and disposition also
advances ``AlertReceipt.done`` (one unit of work takes the events of many
receipts, up to the first that opens a new group, which is declared in units
of work of its own):

* **suppressed**: a maintenance window or silence in force matches; nobody
  is paged; the window's id, reason and owner are recorded.
* **grouped**: the key already has an open group; counted, not paged again.
* **flapping**: the key's group resolved less than ``grouping.window`` ago;
  the group is reopened, counted as a flap, not paged again.
* **incident**: a new group; the route (or the fallback) declares an incident
  with its playbook through the incident service, whose labor-aware page plan
  records the pages the scheduler delivers.  The declaration is keyed by the
  group (``alert-group:<id>``): a crash between the group and the incident
  replays the same declaration, so a group pages once.
* **resolved**: the source says it is over; the group resolves and the
  incident's pages still pending are cancelled (the incident itself stays
  open for people to resolve: that is a human decision).
* **acknowledged**: a PagerDuty-style acknowledge from the sender.

Disposition events go on the incident's chain when the group has an
incident, else on the global chain.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from sqlalchemy import text
from sqlmodel import Session, select

from bot.alerts.events import AlertEvent
from bot.alerts.routing import choose_route, suppression
from bot.alerts.tables import AlertGroup, AlertReceipt
from bot.audit.trail import NewEvent, append_events
from bot.clock import Clock, ensure_utc

log = logging.getLogger(__name__)

# pg_advisory_xact_lock key: the first 8 bytes of sha256("incident-bot:alert-triage"), as a signed integer
TRIAGE_LOCK = int.from_bytes(hashlib.sha256(b"incident-bot:alert-triage").digest()[:8], "big", signed=True)


@dataclass(frozen=True)
class Disposition:
    receipt: int
    index: int
    kind: str  # suppressed | grouped | flapping | incident | unrouted | resolved | acknowledged | unmatched
    group: int | None
    summary: str


def group_key(source: Any, event: AlertEvent) -> str:
    if source is not None and source.group_by:
        return "labels:" + ",".join(f"{n}={event.labels.get(n, '')}" for n in source.group_by)
    return event.key


def _event_data(receipt: AlertReceipt, index: int, event: AlertEvent, key: str) -> dict[str, Any]:
    return {"receipt": receipt.id, "index": index, "source": receipt.source, "format": receipt.format,
            "key": key, "action": event.action, "summary": event.summary, "labels": event.labels,
            "severity": event.severity, "link": event.link, "alerts": event.count}


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

    def _alerts(self):
        return self.config().one("alerts")

    def check_heartbeats(self) -> list[str]:
        from bot.alerts.heartbeats import check

        config = self.config()
        return check(self.store, config.one("alerts"), self.clock.now()) if config.loaded("alerts") else []

    def run_pending(self, limit: int = 2000, batch: int = 50, max_seconds: float = 0.02) -> list[Disposition]:
        """Triage up to ``limit`` waiting receipts in order.  Events that open no incident are handled up to
        ``batch`` receipts (or ``max_seconds``) per transaction, their disposition events appended with one
        flush; a declaration always gets transactions of its own."""
        with self.store.session() as s:
            ids = list(s.exec(select(AlertReceipt.id).where(AlertReceipt.state == "accepted")
                              .order_by(AlertReceipt.id).limit(limit)).all())  # type: ignore[arg-type]
        out: list[Disposition] = []
        alerts, pos = self._alerts(), 0
        while pos < len(ids):
            declare = None
            started = time.monotonic()
            with self.write_lock, self.store.session() as s:
                _one_at_a_time(s)
                chunk = ids[pos:pos + batch]
                work = _Batch(s, self._receipts(s, chunk), alerts)
                for receipt_id in chunk:
                    receipt = work.receipts.get(receipt_id)
                    while receipt is not None and receipt.state == "accepted" and receipt.done < len(receipt.events):
                        index = receipt.done
                        event = AlertEvent.from_json(receipt.events[index])
                        step = self._step(work, receipt, index, event, alerts, ensure_utc(self.clock.now()))
                        if not isinstance(step, Disposition):
                            declare = (receipt.id, index, event, *step)
                            break
                        out.append(step)
                    if declare is not None:
                        break
                    if receipt is not None and receipt.state == "accepted":
                        self._finish(receipt)
                    pos += 1
                    if time.monotonic() - started > max_seconds:
                        break
                work.write()
            if declare is not None:  # several short transactions: the intake's inserts may come in between
                done = self._declare(*declare)
                if done is not None:
                    out.append(done)
            busy = self.intake_busy is not None and self.intake_busy()
            if busy or (self.one_writer and pos < len(ids)):
                time.sleep(max(0.005, self.pause * (time.monotonic() - started) if busy else 0.0))
        return out

    def _receipts(self, s: Session, ids: list[int]) -> dict[int, AlertReceipt]:
        rows = s.exec(select(AlertReceipt).where(AlertReceipt.id.in_(ids))  # type: ignore[union-attr]
                      .order_by(AlertReceipt.id).with_for_update()).all()
        return {r.id: r for r in rows}  # type: ignore[misc]

    def _finish(self, receipt: AlertReceipt) -> None:
        receipt.state, receipt.triaged_at = "triaged", ensure_utc(self.clock.now())

    # --- one event ---------------------------------------------------------------------------

    def _claim(self, s: Session, receipt_id: int, index: int) -> AlertReceipt | None:
        receipt = s.exec(select(AlertReceipt).where(AlertReceipt.id == receipt_id).with_for_update()).first()
        return receipt if receipt is not None and receipt.done == index else None

    def _step(self, work: "_Batch", receipt: AlertReceipt, index: int, event: AlertEvent, alerts: Any,
              now: datetime) -> Disposition | tuple[int, dict[str, Any]]:
        """Handle one event in the batch's transaction: its disposition, or (group id, data) to declare."""
        s, pending_declare = work.session, None
        key = group_key(work.source(receipt.source), event)
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
            pending_declare = group.id  # a crash came between the group and its incident: finish it
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
            recent = s.exec(select(AlertGroup).where(AlertGroup.source == receipt.source, AlertGroup.key == key,
                                                     AlertGroup.open_key.is_(None))  # type: ignore[union-attr]
                            .order_by(AlertGroup.resolved_at.desc()).limit(1)).first()  # type: ignore[union-attr]
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
            group = AlertGroup(source=receipt.source, key=key, open_key=key, status="opening",
                               summary=event.summary[:1024], route=chosen.name, alerts=1,
                               opened_at=now, last_at=now)
            s.add(group)
            s.flush()
            work.groups[(receipt.source, key)] = group
            pending_declare = group.id
        return pending_declare, data

    def _declare(self, receipt_id: int, index: int, event: AlertEvent, group_id: int, data: dict[str, Any]):
        from bot.incidents.errors import IncidentError

        alerts, config = self._alerts(), self.config()
        with self.write_lock, self.store.session() as s:
            group = s.get(AlertGroup, group_id)
            route_name = group.route
        chosen = choose_route(alerts, data["source"], event.labels)
        attempts = [(chosen.name, chosen.route)] + ([("fallback", alerts.fallback)] if chosen.name != "fallback" else [])
        result, failures = None, []
        for name, route in attempts:
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
            _one_at_a_time(s)
            receipt = self._claim(s, receipt_id, index)
            if receipt is None:
                return None
            work = _Batch(s, {receipt_id: receipt}, alerts)
            group = s.get(AlertGroup, group_id)
            group.status, group.route = "open", route_name
            if result is None:
                s.add(group)
                data |= {"failures": failures}
                unrouted = self._record(work, receipt, data, group, "unrouted", now,
                                        "alert could not open an incident on its route nor on the fallback: "
                                        + "; ".join(failures) + " — fix config/alerts.yaml; the group stays open")
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

    def _resolve(self, work: "_Batch", receipt: AlertReceipt, data: dict[str, Any], group: AlertGroup,
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
            from bot.scheduling.sync import sync_incident

            cancelled = cancel_pending(s, group.incident_id, by=f"alerts:{receipt.source}", at=now)
            sync_incident(s, self.config(), group.incident_id, now)
        data |= {"cancelled_pages": [p.id for p in cancelled]}
        return self._record(work, receipt, data, group, "resolved", now,
                            f"alert group {group.id} resolved by the source; {len(cancelled)} pending page(s) cancelled")

    def _acknowledge(self, work: "_Batch", receipt: AlertReceipt, data: dict[str, Any], group: AlertGroup,
                     now: datetime) -> Disposition:
        group.status, group.last_at = "acknowledged", now
        return self._record(work, receipt, data, group, "acknowledged", now,
                            f"alert group {group.id} acknowledged by the source")

    def _record(self, work: "_Batch", receipt: AlertReceipt, data: dict[str, Any], group: AlertGroup | None,
                kind: str, now: datetime, summary: str) -> Disposition:
        data = {**data, "disposition": kind, "group": group.id if group else None}
        work.events.append(NewEvent(incident_id=group.incident_id if group else None, actor=f"alerts:{receipt.source}",
                                    kind=f"alert.{kind}", at=now,
                                    summary=f"{data['summary'] or data['key']}: {summary}"[:4000], data=data))
        receipt.done = data["index"] + 1
        if receipt.done >= len(receipt.events):
            self._finish(receipt)
        return Disposition(receipt.id, data["index"], kind, group.id if group else None, summary)


def _one_at_a_time(s: Session) -> None:
    """Triage transactions run one at a time, so that several triage workers keep the receipts' order and the
    groups' counts exact: SQLite has one writer anyway (BEGIN IMMEDIATE); PostgreSQL takes a lock held until
    the transaction ends."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": TRIAGE_LOCK})


class _Batch:
    """One triage transaction: its receipts (locked), the open groups of their keys (read once), and the
    disposition events, appended in order with one flush by :meth:`write`."""

    def __init__(self, session: Session, receipts: dict[int, AlertReceipt], alerts: Any) -> None:
        self.session, self.receipts = session, receipts
        self.events: list[NewEvent] = []
        self.groups: dict[tuple[str, str], AlertGroup | None] = {}
        self._sources = {x.id: x for x in alerts.sources}
        wanted = {(r.source, group_key(self.source(r.source), AlertEvent.from_json(e)))
                  for r in receipts.values() if r.state == "accepted" for e in r.events[r.done:]}
        if wanted:
            for g in session.exec(select(AlertGroup).where(
                    AlertGroup.open_key.in_({k for _, k in wanted}))).all():  # type: ignore[union-attr]
                if (g.source, g.open_key) in wanted:
                    self.groups[(g.source, g.open_key)] = g  # type: ignore[index]
            self.groups.update({k: None for k in wanted if k not in self.groups})

    def source(self, source_id: str) -> Any:
        return self._sources.get(source_id)

    def open_group(self, source: str, key: str) -> AlertGroup | None:
        if (source, key) not in self.groups:
            self.groups[(source, key)] = self.session.exec(select(AlertGroup).where(
                AlertGroup.source == source, AlertGroup.open_key == key)).first()
        return self.groups[(source, key)]

    def write(self) -> None:
        if self.events:
            append_events(self.session, self.events)
            self.events = []


def _slack_of(config: Any, person_id: str) -> str:
    from bot.oncall.directory import slack_user_of

    return slack_user_of(config, person_id)


def _description(event: AlertEvent) -> str:
    lines = [f"{k}={v}" for k, v in sorted(event.labels.items())]
    if event.link:
        lines.append(event.link)
    return "\n".join(lines)[:4000]
