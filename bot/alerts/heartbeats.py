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


def _receipt(store, session: Session, event: AlertEvent, now: datetime) -> None:
    Receipts.of(store).add(session, new_receipt(SOURCE, "heartbeat", now, [event]))


def beat(store, hb: Heartbeat, now: datetime) -> bool:
    """Record a beat; True if it ended a missed period (a resolve was stored)."""
    now = ensure_utc(now)
    for attempt in range(2):
        try:
            with store.session() as s:
                state = _state(s, hb.id, now)
                state.last_beat_at = now
                ended = state.missed
                if ended:
                    state.missed, state.missed_at = False, None
                    _receipt(store, s, _event(hb, "resolve", now), now)
                s.add(state)
            return ended
        except IntegrityError:  # two first beats at once: the other created the row
            if attempt:
                raise
    return False


def check(store, alerts: AlertsFile, now: datetime) -> list[str]:
    """Store an alert for every monitor whose beat is overdue (once per missed period); returns their ids."""
    now = ensure_utc(now)
    fired = []
    for hb in alerts.heartbeats:
        try:
            with store.session() as s:
                state = _state(s, hb.id, now)
                last = ensure_utc(state.last_beat_at or state.watching_since)
                if not state.missed and now - last >= hb.every:
                    state.missed, state.missed_at = True, now
                    s.add(state)
                    _receipt(store, s, _event(hb, "trigger", last), now)
                    fired.append(hb.id)
        except IntegrityError:  # a beat created the row meanwhile: checked again on the next pass
            continue
    return fired
