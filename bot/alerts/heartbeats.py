"""Heartbeat monitors (dead man's switches): a missed beat raises an alert, the next beat resolves it.

A monitor from ``heartbeats:`` in config/alerts.yaml is watched from the first
time the bot sees it; ``/heartbeat/<id>`` records a beat.  When no beat came
for ``every``, one receipt with a firing alert (source ``heartbeats``, key
``heartbeat:<id>``, the monitor's labels and summary) is stored, and triage
routes it like any alert.  The next beat stores the resolve.  A muted monitor
still raises its alert, marked muted, and triage records it as suppressed with
the reason, so the missed beat stays on the record.  Alertmanager's
always-firing ``Watchdog`` alert, sent to a generic source, is the usual way
to feed one from Prometheus.

One alert per miss, whatever fails between writes.  A miss is named by the
monitor and the beat it counts from (the last beat, or when watching began):
its trigger receipt has the key ``heartbeat:<id>:missed-after:<time>`` and the
resolve ``heartbeat:<id>:beat-after-miss:<time>``.  On PostgreSQL the receipt
and the monitor's state are one transaction.  On SQLite the receipt is
committed in the inbox file before the main transaction
(:meth:`~bot.alerts.receipts.Receipts.add`); if that transaction then rolls
back or the process dies, the next check finds the same miss, the same key,
and the second write is a no-op; a beat that finds the monitor not missed but
the miss's trigger in the inbox stores the resolve all the same (else that
alert would stay open); and a check that finds the monitor missed but the
miss's resolve in the inbox records that beat (else the next miss would raise
nothing).  ``tests/alerts/test_heartbeat_failures.py``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.alerts.config import AlertsFile, Heartbeat
from bot.alerts.events import AlertEvent
from bot.alerts.receipts import Receipts, new_receipt
from bot.alerts.tables import HeartbeatState
from bot.clock import ensure_utc

SOURCE = "heartbeats"


def _event(hb: Heartbeat, action: str, last: datetime) -> AlertEvent:
    summary = hb.summary or f"heartbeat {hb.id} missed: no beat for {hb.every}"
    details = {"heartbeat": hb.id, "last_beat": last.isoformat()}
    if hb.muted:
        details["muted"] = hb.muted
    return AlertEvent(action=action, key=f"heartbeat:{hb.id}", summary=summary,  # type: ignore[arg-type]
                      labels={"heartbeat": hb.id, **hb.labels}, severity=hb.labels.get("severity", ""),
                      details=details)


def _state(session: Session, hb_id: str, now: datetime) -> HeartbeatState:
    state = session.exec(select(HeartbeatState).where(HeartbeatState.id == hb_id).with_for_update()).first()
    if state is None:
        state = HeartbeatState(id=hb_id, watching_since=now)
        session.add(state)
        session.flush()
    return state


def _missed_key(hb_id: str, last: datetime) -> str:
    return f"heartbeat:{hb_id}:missed-after:{last.isoformat()}"


def _ended_key(hb_id: str, last: datetime) -> str:
    return f"heartbeat:{hb_id}:beat-after-miss:{last.isoformat()}"


def _receipt(receipts: Receipts, session: Session, event: AlertEvent, now: datetime, key: str) -> None:
    receipts.add(session, new_receipt(SOURCE, "heartbeat", now, [event]), key=key)


def _counted_from(state: HeartbeatState) -> datetime:
    """The beat a miss counts from: the last one, or when watching began."""
    return ensure_utc(state.last_beat_at or state.watching_since)


def _beat_lost(receipts: Receipts, state: HeartbeatState, hb_id: str) -> None:
    """SQLite: a beat ended this miss in the inbox (its resolve is stored) but its own transaction was lost:
    the beat is recorded now, at the time its resolve was stored, and the next miss counts from it."""
    ended_at = receipts.stored_at(_ended_key(hb_id, _counted_from(state)))
    if ended_at is not None:
        state.missed, state.missed_at, state.last_beat_at = False, None, ended_at


def beat(store, hb: Heartbeat, now: datetime) -> bool:
    """Record a beat; True if it ended a missed period (a resolve was stored)."""
    now = ensure_utc(now)
    receipts = Receipts.of(store)  # before the transaction: opening the SQLite inbox may write to the main file
    for attempt in range(2):
        try:
            with store.session() as s:
                state = _state(s, hb.id, now)
                last = _counted_from(state)
                # SQLite: a miss whose trigger reached the inbox but whose main transaction did not commit ended too.
                ended = state.missed or receipts.stored_at(_missed_key(hb.id, last)) is not None
                state.last_beat_at = now
                if ended:
                    state.missed, state.missed_at = False, None
                    _receipt(receipts, s, _event(hb, "resolve", now), now, _ended_key(hb.id, last))
                s.add(state)
            return ended
        except IntegrityError:  # two first beats at once: the other created the row
            if attempt:
                raise
    return False


def check(store, alerts: AlertsFile, now: datetime) -> list[str]:
    """Store an alert for every monitor whose beat is overdue (once per missed period); returns their ids."""
    now = ensure_utc(now)
    receipts = Receipts.of(store)  # before the transaction: opening the SQLite inbox may write to the main file
    fired = []
    for hb in alerts.heartbeats:
        try:
            with store.session() as s:
                state = _state(s, hb.id, now)
                if state.missed:
                    _beat_lost(receipts, state, hb.id)
                last = _counted_from(state)
                if not state.missed and now - last >= hb.every:
                    state.missed, state.missed_at = True, now
                    s.add(state)
                    _receipt(receipts, s, _event(hb, "trigger", last), now, _missed_key(hb.id, last))
                    fired.append(hb.id)
        except IntegrityError:  # a beat created the row meanwhile: checked again on the next pass
            continue
    return fired
