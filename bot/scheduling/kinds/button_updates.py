"""Buttons that no longer apply are taken off the message that carries them.

Derived from state like every reminder: a message the outbox sent with
buttons about a task, an obligation or a trigger-change request whose
subject is settled (the task done, the duty notified or not required, the
request decided) wants an update that says so and keeps only the buttons that
still apply (a checklist ticks its done tasks).  The key counts the settled
buttons (``<message key>:update:<n>``), so a second task done on the same
checklist wants a second update, and the rows of one message share a lane:
Slack shows the latest.  Page messages have their own kind
(:mod:`bot.scheduling.kinds.page_updates`).
"""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam
from sqlmodel import Session, select

from bot.outbox.notice_codec import notice_to_json
from bot.outbox.tables import Reminder
from bot.scheduling import execute
from bot.scheduling.wanted import Act, Drop, Outcome, Wanted

name = "button_update"
SUBJECTS = ("task", "obligation", "approval")


def _settled(session: Session, value: str) -> str | None:
    """What happened to the subject of a button value ("task:4"), or None while the button applies."""
    head, _, tail = value.partition(":")
    if head not in SUBJECTS or not tail.isdigit():
        return None
    if head == "task":
        from bot.incidents.tables import ChecklistTask

        task = session.get(ChecklistTask, int(tail))
        return f"Done: {task.title}" if task is not None and task.done_at is not None else None
    if head == "obligation":
        from bot.deadlines.tables import Obligation

        row = session.get(Obligation, int(tail))
        if row is None or row.status in ("open", "qualitative"):
            return None
        if row.status == "notified":
            return f"{row.obligation_id}: notified" + (f" (reference {row.reference})" if row.reference else "")
        return f"{row.obligation_id}: {row.status.replace('_', ' ')}"
    from bot.incidents.tables import TriggerApproval

    approval = session.get(TriggerApproval, int(tail))
    if approval is None or approval.status == "pending":
        return None
    return f"Request #{approval.id} {approval.status} by {approval.decided_by}"


@functools.cache
def _sent_messages() -> Any:
    """Built once (with the incident as a bound parameter): building a statement costs as much as running it."""
    return select(Reminder).where(Reminder.incident_id == bindparam("incident"), Reminder.state == "sent",
                                  Reminder.kind.in_(("post", "deadline", "checklist")))  # type: ignore[attr-defined]


def _with_buttons(session: Session, incident_id: int) -> list[Reminder]:
    rows = session.exec(_sent_messages(), params={"incident": incident_id}).all()
    return [r for r in rows if r.message_ts and (r.message or {}).get("buttons")]


def _stale(session: Session, message: Reminder) -> dict[str, str]:
    out: dict[str, str] = {}
    for button in (message.message or {}).get("buttons") or []:
        value = str(button.get("value") or "")
        what = out.get(value) or _settled(session, value)
        if what:
            out[value] = what
    return out


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    out = []
    for message in _with_buttons(session, incident.id):
        stale = _stale(session, message)
        if stale:
            out.append(Wanted(key=f"{message.key}:update:{len(stale)}", kind=name, target=message.id,
                              due_at=message.sent_at or at, recipient=message.delivered_to or "",
                              lane=f"update:{message.key}"))
    return out


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    message = session.get(Reminder, reminder.target)
    if message is None or message.state != "sent" or not message.message_ts:
        return Drop("the message with the buttons is gone")
    stale = _stale(session, message)
    if not stale:
        return Drop("every button applies again")
    sent = execute.as_claimed(message)
    notice = sent.notice  # type: ignore[union-attr]
    ticked: set[str] = set()
    lines = []
    for line in notice.lines:  # a checklist ticks its done tasks instead of saying so below
        title = next((w.removeprefix("Done: ") for w in stale.values()
                      if w.startswith("Done: ") and line.startswith(f"[ ] {w.removeprefix('Done: ')}")), None)
        if title is not None:
            ticked.add(f"Done: {title}")
        lines.append(f"[x] {line[4:]}" if title is not None else line)
    notes = tuple(w for w in dict.fromkeys(stale.values()) if w not in ticked)
    notice = replace(notice, lines=tuple(lines) + notes, buttons=tuple(b for b in notice.buttons if b.value not in stale))
    return Act("update", message.delivered_to or "", {"ts": message.message_ts, "notice": notice_to_json(notice)})


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None


def describe(reminder: Reminder) -> str:
    return "take the buttons that no longer apply off a message"
