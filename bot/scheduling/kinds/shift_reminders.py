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
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.outbox.tables import Reminder
from bot.scheduling.wanted import Drop, Hold, Outcome, Send, Wanted

name = "shift_reminder"
PLANNED = False  # written by the sweep, not derived from an incident's state


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    return []  # an incident has no shift reminders: the sweep writes them


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.oncall.shift_reminders import holds_for_working_hours, on_leave_at, period_starting, reminder_notice
    from bot.oncall.wallclock import describe_local
    from bot.scheduling.shift_reminder_sweep import team_with_covers

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
    away = on_leave_at(person, now)
    if (away or holds_for_working_hours(person)) and not person.working_at(now):
        release = person.next_work_start(now)
        why = "is on leave" if away else "has rules that limit contact outside work"
        if release is not None and release > now:
            return Hold(release, f"not urgent, and {person.id} {why}: sent when their working hours begin, "
                                 f"{describe_local(release, person.zone)}")
    return Send(person.slack, reminder_notice(team, period, now=now), True)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None


def describe(reminder: Reminder) -> str:
    payload = reminder.payload or {}
    return f"remind {payload.get('person', '?')} of their {payload.get('rotation', '?')} on-call period"
