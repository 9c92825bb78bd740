"""Shift reminders (``shift_reminder``): "You are on call for X soon", with the button "Ask for cover".

Written by the leader's sweep (:mod:`bot.scheduling.shift_reminder_sweep`), one row per person and period
start, due ``settings.shift_reminder_hours`` before it; not derived from an incident (``PLANNED = False``).
When the row is due, the rota is read again (covers accepted in chat included):

* the person no longer holds a period of that rotation starting then (an override or a cover took it), or
  is on leave that day, or the period is over: dropped;
* the person's rules limit contact outside work (:func:`~bot.oncall.shift_reminders.holds_for_working_hours`)
  or they are on leave today, and they are not working now: held until their working hours begin (as a
  low-urgency page is; leave days have none), and sent then even if the period has begun by then, saying
  "now" and since when: they are on call, and the button still asks for cover of the rest.  Nobody with no
  working hours in the next three weeks is held;
* otherwise the direct message goes out, with the period's current end.

A row the sweep wrote after it fell due because no scheduler swept then (``fell_due_unswept`` in its payload:
the scheduler was stopped, crashed or handing over) goes out as any other, and its message says it is late with
the footer the worker puts on any overdue row ("Sent 2h 05m late: the scheduler was not running when this was
due."), counting from when it would have gone out had a scheduler swept (its due instant, or the start of the
person's working hours after it if it would have been held then; no footer when that is under a minute ago,
:data:`~bot.scheduling.shift_reminder_sweep.UNSWEPT_AFTER`); if the period has begun by then it says "now" and
since when, as a reminder held past the start does.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.outbox.tables import Reminder
from bot.scheduling.notices import lateness_note
from bot.scheduling.wanted import Drop, Hold, Outcome, Send, Wanted

name = "shift_reminder"
PLANNED = False  # written by the sweep, not derived from an incident's state


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    return []  # an incident has no shift reminders: the sweep writes them


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.oncall.shift_reminders import on_leave_at, period_starting, reminder_notice
    from bot.oncall.wallclock import describe_local
    from bot.scheduling.shift_reminder_sweep import UNSWEPT_AFTER, team_with_covers

    payload = reminder.payload or {}
    start = datetime.fromisoformat(payload["start"])
    team = team_with_covers(session, config, start)
    period = period_starting(team, payload["rotation"], payload["person"], start)
    person = team.people.get(payload["person"])
    if period is None or person is None or not person.slack:
        return Drop(f"{payload['person']} no longer holds the {payload['rotation']} period from {payload['start']} "
                    "(an override or a cover changed the rota)")
    if on_leave_at(person, period.start):
        return Drop(f"{person.id} is on leave when the {period.rotation} period begins")
    if now >= period.end:
        return Drop(f"the {period.rotation} period of {person.id} is over")
    release = held_until(person, now)
    if release is not None:
        why = "is on leave" if on_leave_at(person, now) else "has rules that limit contact outside work"
        return Hold(release, f"not urgent, and {person.id} {why}: sent when their working hours begin, "
                             f"{describe_local(release, person.zone)}")
    notice = reminder_notice(team, period, now=now)
    if payload.get("fell_due_unswept"):
        late = now - (held_until(person, reminder.due_at) or reminder.due_at)
        if late > UNSWEPT_AFTER:
            notice = replace(notice, footer=lateness_note(late))  # the worker adds no second one
    return Send(person.slack, notice, True)


def held_until(person: Any, at: datetime) -> datetime | None:
    """When a reminder for ``person`` due ``at`` may go out, if not at once: the start of their working hours,
    for someone on leave that day or whose rules limit contact outside work and who is not working then."""
    from bot.oncall.shift_reminders import holds_for_working_hours, on_leave_at

    if (on_leave_at(person, at) or holds_for_working_hours(person)) and not person.working_at(at):
        release = person.next_work_start(at)
        if release is not None and release > at:
            return release
    return None


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None


def describe(reminder: Reminder) -> str:
    payload = reminder.payload or {}
    return f"remind {payload.get('person', '?')} of their {payload.get('rotation', '?')} on-call period"
