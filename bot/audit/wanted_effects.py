"""The effects a unit of work wants done in Slack, on the chain: an outbox row deleted or marked done by hand is found.

The outbox (:mod:`bot.outbox.effects`) is below the audit layer and writes its rows in the caller's unit of work.
A session listener notes every new row of an effect kind (a post, an invite, the channel, its topic, pin and
bookmarks, the answer to a command: :data:`bot.outbox.tables.EFFECT_KINDS`); when the unit of work commits, their
keys and kinds go on their incident's chain (the global chain for a row of no incident), like evidence rows
(:mod:`bot.audit.evidence`): as ``data["effects_wanted"]`` of the event the unit of work appended to that chain,
else in one ``effects.wanted`` event of their own.  So no event is added where the change that caused the effects
is one (a declaration, a status update), and none per row.

The worker chains how each row ended: ``effect.done`` (delivered), ``side_effect.failed`` or ``reminder.failed``
(failed for good, told), ``effect.dropped`` (not needed any more: the channel was attached by hand before it was
created, the message to pin was never posted; or its incident's row is gone, :func:`dropped_incident_gone`, on the
global chain).  :func:`problems` compares that with the ``reminder`` table: a
wanted row missing from it was deleted, and a row the table shows finished that the chain does not was marked so
by hand; either way it never reached Slack and nobody was told.  Rows written before this was chained have no
entry and are not compared.  The reminders the leader plans from the incident's state (nudges, pages) are not
covered: they are re-planned at every change of the incident, and cancelled without an event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import select

from bot.audit.incident_keys import INCIDENT
from bot.audit.malformed import wanted_effect_entries
from bot.audit.tables import TimelineEvent
from bot.audit.trail import APPENDED, append_event, chain_name, seal
from bot.outbox.tables import EFFECT_KINDS, Reminder

WANTED = "effects_wanted"  # the events' data key: [{"key", "kind"}, ...]
KIND = "effects.wanted"  # the event of its own, when the unit of work appended none to that chain
DROPPED = "effect.dropped"
INCIDENT_GONE = "incident_gone"  # an effect.dropped event's data key: dropped because the incident's row is gone
FINISHED_KINDS = ("effect.done", "side_effect.failed", "reminder.failed", DROPPED)
FINISHED_STATES = ("sent", "failed", "cancelled")
NOTED = "audit.effects_wanted"  # session.info key: incident -> key -> (kind, created_at)
EXPECTED = "audit.effects_expected"  # session.info key: keys chained ahead by :func:`expect`
HEADS_READ = "audit.heads_read"  # session.info key: a head hash of this unit of work was read as final

WHAT = {"create_channel": "the incident channel was never created", "invite": "the people it names were never invited",
        "topic": "the channel topic was never set", "pin": "the welcome message was never pinned",
        "bookmark": "the bookmark was never added", "post": "the post was never delivered",
        "update": "the message was never updated", "reply": "the person who gave the command never got the answer"}
FINISHED_WORDS = {"sent": "delivery", "failed": "failure", "cancelled": "cancellation"}


def _note(session: OrmSession, _context: Any) -> None:
    for obj in session.new:
        if isinstance(obj, Reminder) and obj.kind in EFFECT_KINDS:
            noted = session.info.setdefault(NOTED, {})
            noted.setdefault(obj.incident_id, {})[obj.key] = (obj.kind, obj.created_at)


def _record(session: OrmSession) -> None:
    noted: dict[int | None, dict[str, tuple[str, datetime]]] = session.info.pop(NOTED, None) or {}
    chained: set[str] = session.info.get(EXPECTED, set())
    for incident, rows in sorted(noted.items(), key=lambda item: (item[0] is not None, item[0] or 0)):
        fresh = {key: row for key, row in rows.items() if key not in chained}
        if fresh:
            _chain(session, incident, [(key, kind) for key, (kind, _at) in fresh.items()],
                   max(at for _kind, at in fresh.values()))


def _chain(session: OrmSession, incident: int | None, effects: list[tuple[str, str]], at: datetime) -> None:
    """The entries on the event this unit of work appended to the chain last, while no one read its hash as final;
    else in an event of their own."""
    entries = [{"key": key, "kind": kind} for key, kind in effects]
    head = session.info.get(APPENDED, {}).get(chain_name(incident))
    if head is not None and head in session and not session.info.get(HEADS_READ):
        head.data = {**head.data, WANTED: list(head.data.get(WANTED, [])) + entries}
        seal(head)
        session.add(head)
    else:
        append_event(session, incident_id=incident, actor="system", kind=KIND, at=at,
                     summary=f"{len(entries)} effect(s) queued for Slack", data={WANTED: entries})


def expect(session: OrmSession, incident_id: int | None, effects: list[tuple[str, str]], at: datetime) -> None:
    """Chain now the effects (key, kind) this unit of work will write later: before its head hash is read as final
    and put into one of them (closing posts it)."""
    _chain(session, incident_id, effects, at)
    session.info.setdefault(EXPECTED, set()).update(key for key, _kind in effects)


def heads_read(session: OrmSession) -> None:
    """Someone read this unit of work's head hashes as final (:func:`bot.audit.evidence.record`): effects written
    after this go in an event of their own instead of changing the head."""
    session.info[HEADS_READ] = True


def _forget(session: OrmSession, *_args: Any) -> None:
    for name in (NOTED, EXPECTED, HEADS_READ):
        session.info.pop(name, None)


def install() -> None:
    """Register the listeners on every ORM session (idempotent). :func:`bot.audit.evidence.install` calls it after
    registering its own, so the evidence of a unit of work is recorded first, on the event it was recorded on before."""
    if not sa_event.contains(OrmSession, "after_flush", _note):
        sa_event.listen(OrmSession, "after_flush", _note)
        sa_event.listen(OrmSession, "before_commit", _record)
        sa_event.listen(OrmSession, "after_commit", _forget)
        sa_event.listen(OrmSession, "after_rollback", _forget)


def _incident_gone(session: Any, incident_id: int) -> bool:
    return session.execute(select(INCIDENT.c.id).where(INCIDENT.c.id == incident_id)).first() is None


def dropped_incident_gone(session: Any, row: Reminder, now: datetime, reason: str) -> bool:
    """If ``row``'s incident row no longer exists (deleted outside the bot), chain that the worker dropped the row
    (in the caller's unit of work, the one that marks it cancelled) and return True. On the global chain: the
    incident's own chain may be gone with its row, or deleted next, and an event there would name an incident the
    table does not hold. The data says which row (key, kind), whose incident and the kind's reason."""
    if row.incident_id is None or not _incident_gone(session, row.incident_id):
        return False
    append_event(session, incident_id=None, actor="system", kind=DROPPED, at=now,
                 summary=f"Dropped {row.kind} {row.key}: the row of its incident (id {row.incident_id}) no longer "
                         f"exists ({reason})",
                 data={"key": row.key, "kind": row.kind, "incident_id": row.incident_id, "reason": reason,
                       INCIDENT_GONE: True})
    return True


def _dropped_on_global(session: Any, incident_id: int, keys: set[str]) -> set[str]:
    """Of ``keys``, those the worker dropped on the global chain because the incident's row was gone (only while it
    is: :func:`dropped_incident_gone`)."""
    if not keys or not _incident_gone(session, incident_id):
        return set()
    found = session.execute(select(TimelineEvent.data).where(TimelineEvent.chain == chain_name(None),
                                                             TimelineEvent.kind == DROPPED)).scalars()
    return {d["key"] for d in found if isinstance(d, dict) and d.get(INCIDENT_GONE) is True
            and d.get("incident_id") == incident_id and d.get("key") in keys}


# --- audit verify ------------------------------------------------------------------------------------------------


def outbox_rows(session: Any, incident_id: int | None) -> dict[str, str]:
    """key -> state of the chain's effect rows in the table. Read before the chain's events, so a row that a
    worker finishes meanwhile is either still open here or finished on the events read after."""
    column = Reminder.incident_id
    query = select(Reminder.key, Reminder.state).where(
        column == incident_id if incident_id is not None else column.is_(None),  # type: ignore[union-attr]
        Reminder.kind.in_(EFFECT_KINDS))  # type: ignore[attr-defined]
    return {key: state for key, state in session.exec(query).all()}


def problems(session: Any, incident_id: int | None, rows: dict[str, str], events: Iterable[Any]) -> list[str]:
    """Each effect the chain says was wanted whose row is gone from the table, or finished in the table without the
    chain saying so, in words (``rows``: :func:`outbox_rows`, read before ``events``)."""
    wanted: dict[str, tuple[str, int]] = {}
    finished: set[str] = set()
    for ev in events:
        data = ev.data if isinstance(ev.data, dict) else {}
        for entry in wanted_effect_entries(data):
            wanted.setdefault(entry["key"], (entry["kind"], ev.seq))
        if ev.kind in FINISHED_KINDS and isinstance(data.get("key"), str):
            finished.add(data["key"])
    if incident_id is not None:  # its row gone: the worker chained the rows it dropped on the global chain
        finished |= _dropped_on_global(session, incident_id, {k for k in wanted if rows.get(k) == "cancelled"
                                                               and k not in finished})
    gone = [key for key in wanted if key not in rows]
    if gone:  # written after the rows were read (and so chained by the events read after them), or really gone
        gone = sorted(set(gone) - set(session.exec(select(Reminder.key).where(Reminder.key.in_(gone))).all()))  # type: ignore[attr-defined]
    out = []
    for key, (kind, seq) in sorted(wanted.items(), key=lambda item: (item[1][1], item[0])):
        name = f"{chain_name(incident_id)} outbox row {key} ({kind}, wanted by event #{seq})"
        what = WHAT.get(kind, "it was never done in Slack")
        if key in gone:
            out.append(f"{name}: missing from the outbox table (deleted outside the bot)" + (
                "; the chain records it finished" if key in finished else
                f": {what}, and nobody was told; do it by hand if it still matters"))
        elif rows.get(key) in FINISHED_STATES and key not in finished:
            out.append(f"{name}: {rows[key]} in the outbox table, but the chain records no "
                       f"{FINISHED_WORDS[rows[key]]} (changed outside the bot): {what}, and nobody was told; "
                       "check Slack and do it by hand if it still matters")
    return out
