"""The shift reminder sweep: the active scheduler writes a reminder for every on-call period about to begin.

Run by the scheduler's leader on its tick (every ``plan_every_seconds``; not by :meth:`run_pending`, which
tests and the drill call to deliver what is due).  Each sweep asks :func:`bot.oncall.shift_reminders.upcoming`
for the periods beginning in [the previous sweep's instant (or now, after a start), now + lead], the lead
being ``settings.shift_reminder_hours`` (24 by default, 0: no reminders), and writes one outbox row
(kind ``shift_reminder``, :mod:`bot.scheduling.kinds.shift_reminders`) per period it has none for, keyed by
:attr:`~bot.oncall.shift_reminders.Period.key` (rotation, period start, person), due ``lead`` before the start.

Exactly once: the key is unique, so a second sweep, a restarted scheduler or two schedulers at once (a
leadership hand-over) find the row and write nothing; two sweeps inserting the same key at once collide on
the unique index and the loser's sweep is rolled back whole (the next one finds the rows).  Rows are never
re-opened or rescheduled: a row that was sent, dropped or failed stays so.  The window is a day wide at the
default lead (a few shifts per rotation materialised), never the history: a period that began while no
scheduler ran gets no reminder.

Covers accepted in chat count (they are overrides on top of the rota): the taker's period is a new key
and gets its own reminder; the person covered is not reminded of what they no longer hold (the kind drops
the row at send time if the period is gone).  Nobody is reminded of a period that begins on a day of their
leave.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.clock import Clock, ensure_utc
from bot.outbox.tables import Reminder
from bot.store.database import Store

log = logging.getLogger(__name__)

KIND = "shift_reminder"


def lead_time(config: Any) -> timedelta:
    return timedelta(hours=float(getattr(config.settings, "shift_reminder_hours", 0) or 0))


def team_with_covers(session: Session, config: Any, since: datetime) -> Any:
    """The team with the covers accepted in chat on top, those that end after ``since`` less the widest
    period any rotation materialises around an instant (older covers cannot change a period starting later)."""
    from bot.oncall.accepted_covers import as_override
    from bot.oncall.covers import with_overrides
    from bot.oncall.tables import CoverRequest
    from bot.oncall.team import team_of

    team = team_of(config)
    margin = timedelta(days=max((r.period_days for r in team.rotations.values()), default=0) + 2)
    rows = session.exec(select(CoverRequest).where(CoverRequest.status == "accepted",
                                                   CoverRequest.end > ensure_utc(since) - margin)
                        .order_by(CoverRequest.id)).all()  # type: ignore[arg-type]
    return with_overrides(team, tuple(as_override(r) for r in rows))


def write_reminders(session: Session, config: Any, since: datetime, now: datetime) -> list[str]:
    """Write the rows of the periods beginning in [since, now + lead] that have none; returns their keys."""
    from bot.oncall.shift_reminders import on_leave_at, upcoming

    lead = lead_time(config)
    if lead <= timedelta(0) or config.one("rotas") is None:
        return []
    team = team_with_covers(session, config, since)
    wanted = {}
    for period in upcoming(team, since, now + lead + timedelta(microseconds=1)):  # one beginning at now + lead is due
        person = team.people.get(period.person)
        if person is None or not person.slack or on_leave_at(person, period.start):
            continue
        wanted[period.key] = (period, person.slack)
    if not wanted:
        return []
    have = set(session.exec(select(Reminder.key).where(Reminder.key.in_(sorted(wanted)))).all())  # type: ignore[attr-defined]
    written = []
    for key, (period, slack) in wanted.items():
        if key in have:
            continue
        due = period.start - lead
        session.add(Reminder(key=key, kind=KIND, incident_id=None, target=None, recipient=slack, due_at=due,
                             next_attempt_at=due, created_at=now, updated_at=now,
                             payload={"rotation": period.rotation, "person": period.person,
                                      "start": period.start.isoformat(), "end": period.end.isoformat()}))
        written.append(key)
    session.flush()
    return written


class ShiftReminderSweep:
    """One per scheduler; :meth:`run` on each of the leader's sweeps. Remembers the instant of its last sweep,
    so the next window starts there (in memory: after a restart the window starts at the clock's now)."""

    def __init__(self, store: Store, config: Callable[[], Any], clock: Clock) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.swept_until: datetime | None = None

    def run(self) -> list[str]:
        now = self.clock.now()
        since = min(self.swept_until or now, now)
        try:
            with self.store.session() as s:
                written = write_reminders(s, self.config(), since, now)
        except IntegrityError:
            log.info("another scheduler wrote the same shift reminders at the same time; the next sweep checks")
            return []
        self.swept_until = now
        if written:
            log.info("shift reminders written: %s", ", ".join(written))
        return written
