"""Writing effects into the outbox, in the caller's unit of work.

The lifecycle never calls Slack.  Whatever it wants done there (create the
channel, invite, set the topic, post, pin, bookmark, update a message, answer
the person) it writes here as an outbox row (:class:`~bot.outbox.tables.Reminder`)
in the same transaction as the change that causes it; the delivery worker does
it afterwards, exactly once as seen in Slack (``docs/scheduling.md``).

A row's ``key`` is derived from its cause (the request key, the incident), so a
replayed request, a Slack retry or a crash-restart finds the existing row
instead of adding a second one: :func:`add` is idempotent by key.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, select

from bot.clock import ensure_utc
from bot.outbox.tables import Reminder

__all__ = ["INCIDENT_CHANNEL", "add", "add_all", "channel_key", "exists", "incident_lane", "states", "wake"]

INCIDENT_CHANNEL = "#incident"  # a row's recipient: the incident's own channel, resolved when it is sent


def incident_lane(incident_id: int) -> str:
    """The lane of everything done in the incident channel: the channel first, then its posts in order."""
    return f"incident:{incident_id}"


def channel_key(incident_id: int) -> str:
    """Key of the row that creates the incident's channel."""
    return f"incident:{incident_id}:channel"


def exists(session: Session, key: str) -> bool:
    return session.exec(select(Reminder.id).where(Reminder.key == key)).first() is not None


def _row(*, key: str, kind: str, incident_id: int | None, at: datetime, recipient: str = "",
         payload: dict[str, Any] | None = None, lane: str | None = None, after_key: str | None = None,
         target: int | None = None) -> Reminder:
    at = ensure_utc(at)
    return Reminder(key=key, kind=kind, incident_id=incident_id, target=target, recipient=recipient[:120],
                    due_at=at, next_attempt_at=at, payload=dict(payload or {}), lane=lane, after_key=after_key,
                    created_at=at, updated_at=at)


def add(session: Session, *, key: str, kind: str, incident_id: int | None, at: datetime, recipient: str = "",
        payload: dict[str, Any] | None = None, lane: str | None = None, after_key: str | None = None,
        target: int | None = None) -> bool:
    """Write one effect, due at ``at``; False when a row with this key exists already (nothing changes).
    Flushed at once: ids follow the order effects were written in, and lanes deliver in that order."""
    return add_all(session, [dict(key=key, kind=kind, incident_id=incident_id, at=at, recipient=recipient,
                                  payload=payload, lane=lane, after_key=after_key, target=target)])[0]


def add_all(session: Session, effects: list[dict[str, Any]]) -> list[bool]:
    """:func:`add` for each of ``effects`` (its keyword arguments), in order, with one query for the keys that
    exist already and one flush: the same rows as calling :func:`add` for each in turn (a key already stored,
    or written earlier in the list, is skipped), inserted in the list's order, so their ids (and so the order
    their lanes deliver them in) follow it as before.  True for each effect written."""
    keys = [e["key"] for e in effects]
    seen = {k for (k,) in session.execute(select(Reminder.key).where(Reminder.key.in_(set(keys)))).all()} \
        if keys else set()  # type: ignore[attr-defined]
    rows, out = [], []
    for effect in effects:
        fresh = effect["key"] not in seen
        out.append(fresh)
        if fresh:
            seen.add(effect["key"])
            rows.append(_row(**effect))
    if rows:
        session.add_all(rows)  # the unit of work inserts one mapper's new rows in the order they were added
        session.flush()
    return out


def wake(session: Session, incident_id: int, at: datetime) -> int:
    """The incident's channel now exists: rows held for it (or backing off) are due now. Returns how many."""
    at = ensure_utc(at)
    done = session.execute(
        update(Reminder).where(Reminder.incident_id == incident_id, Reminder.state == "pending",  # type: ignore[arg-type]
                               Reminder.due_at <= at, Reminder.next_attempt_at > at)
        .values(next_attempt_at=at, updated_at=at)
    )
    return int(done.rowcount or 0)


def states(session: Session, keys: list[str]) -> dict[str, Reminder]:
    """The rows of ``keys`` that exist, by key."""
    if not keys:
        return {}
    return {r.key: r for r in session.exec(select(Reminder).where(Reminder.key.in_(keys))).all()}  # type: ignore[attr-defined]
