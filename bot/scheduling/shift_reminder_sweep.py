"""The shift reminder sweep: the active scheduler writes a reminder for every on-call period about to begin.

Run by the scheduler's leader on its tick (every ``plan_every_seconds``; not by :meth:`run_pending`, which
tests and the drill call to deliver what is due).  Each sweep asks :func:`bot.oncall.shift_reminders.upcoming`
for the periods beginning in [the previous sweep's instant, now + lead], the lead being
``settings.shift_reminder_hours`` (24 by default, 0: no reminders), and writes one outbox row (kind
``shift_reminder``, :mod:`bot.scheduling.kinds.shift_reminders`) per period it has none for, keyed by
:attr:`~bot.oncall.shift_reminders.Period.key` (rotation, period start, person), due ``lead`` before the start.

The previous sweep's instant is the watermark in the database (table ``sweep_watermark``, row
``shift_reminder``), written in the same unit of work as that sweep's rows and shared by every scheduler
process: after a restart, a crash or a hand-over of leadership the next sweep, of whichever process, starts
where the last one ended, so a reminder that fell due while no scheduler swept is written then.  The watermark
only moves forward.  On a fresh database (no watermark) the window starts at now: a first deploy does not
message everyone already on call.

Catch-up is bounded: a period that began in the gap and is already over gets no reminder; one still running
gets its reminder at once, which says it has begun ("now", since when) and that it is late because the
scheduler was not running when it was due (the row's payload says ``fell_due_unswept``; see the kind).  A row
whose due instant was less than :data:`UNSWEPT_AFTER` before the sweep is on time.

Exactly once: the key is unique, so a second sweep, a restarted scheduler or two schedulers at once (a
leadership hand-over) find the row and write nothing; two sweeps inserting the same key (or the first
watermark) at once collide on the unique index and the loser's sweep is rolled back whole, watermark included
(the next one finds the rows).  Rows are never re-opened or rescheduled: a row that was sent, dropped or failed
stays so.

Covers accepted in chat count (they are overrides on top of the rota): the taker's period is a new key
and gets its own reminder; the person covered is not reminded of what they no longer hold (the kind drops
the row at send time if the period is gone).  Nobody is reminded of a period that begins on a day of their
leave.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, Callable

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from bot.clock import Clock, ensure_utc
from bot.outbox.tables import Reminder
from bot.scheduling.notices import LATE_NOTE_AFTER
from bot.scheduling.tables import SweepWatermark
from bot.store.database import Store

log = logging.getLogger(__name__)

KIND = "shift_reminder"
WATERMARK = KIND  # the row of sweep_watermark this sweep keeps
# A row written more than this after its due instant fell due while no scheduler swept (one sweeps every few
# seconds): the worker's own threshold, before which nobody is told a message is late.
UNSWEPT_AFTER = LATE_NOTE_AFTER
TELL_AFTER_FAILURES = 3  # sweeps failing in a row before the operators are told (one failure may be a blip)


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
    """Write the rows of the periods beginning in [since, now + lead] that have none and are not over; returns
    their keys.  A row that fell due after ``since`` and more than :data:`UNSWEPT_AFTER` before ``now`` (no sweep
    ran then) is marked ``fell_due_unswept`` in its payload, so its message says it is late."""
    from bot.oncall.shift_reminders import on_leave_at, upcoming

    lead = lead_time(config)
    if lead <= timedelta(0) or config.one("rotas") is None:
        return []
    team = team_with_covers(session, config, since)
    wanted = {}
    for period in upcoming(team, since, now + lead + timedelta(microseconds=1)):  # one beginning at now + lead is due
        person = team.people.get(period.person)
        if person is None or not person.slack or on_leave_at(person, period.start) or period.end <= now:
            continue  # no Slack, on leave, or over (began while no scheduler swept and ended before this sweep)
        wanted[period.key] = (period, person.slack)
    if not wanted:
        return []
    have = set(session.exec(select(Reminder.key).where(Reminder.key.in_(sorted(wanted)))).all())  # type: ignore[attr-defined]
    written = []
    for key, (period, slack) in wanted.items():
        if key in have:
            continue
        due = period.start - lead
        payload = {"rotation": period.rotation, "person": period.person,
                   "start": period.start.isoformat(), "end": period.end.isoformat()}
        if since < due < now - UNSWEPT_AFTER:
            payload["fell_due_unswept"] = True
        session.add(Reminder(key=key, kind=KIND, incident_id=None, target=None, recipient=slack, due_at=due,
                             next_attempt_at=due, created_at=now, updated_at=now, payload=payload))
        written.append(key)
    session.flush()
    return written


def swept_until(session: Session) -> datetime | None:
    """The instant of the last sweep of any scheduler process, or None on a database never swept."""
    mark = session.get(SweepWatermark, WATERMARK)
    return ensure_utc(mark.swept_until) if mark is not None else None


def record_sweep(session: Session, now: datetime) -> None:
    """Move the watermark to ``now`` (never back: a process whose clock is behind leaves it)."""
    if session.get(SweepWatermark, WATERMARK) is None:
        session.add(SweepWatermark(sweep=WATERMARK, swept_until=now))  # two first sweeps at once: one collides
    else:
        session.execute(update(SweepWatermark).where(SweepWatermark.sweep == WATERMARK,  # type: ignore[arg-type]
                                                     SweepWatermark.swept_until < now)  # type: ignore[arg-type]
                        .values(swept_until=now))
    session.flush()


class ShiftReminderSweep:
    """One per scheduler; :meth:`run` on each of the leader's sweeps.  Each window starts at the watermark of
    the last sweep of any process (in the database), and the watermark moves to this sweep's instant in the
    same unit of work as its rows."""

    def __init__(self, store: Store, config: Callable[[], Any], clock: Clock) -> None:
        self.store = store
        self.config = config
        self.clock = clock
        self.failed_since: datetime | None = None  # the first of the sweeps failing in a row, if the last failed
        self.failures = 0

    def succeeded(self) -> None:
        self.failed_since, self.failures = None, 0

    def failed(self, exc: Exception) -> bool:
        """Note a failed sweep; at the :data:`TELL_AFTER_FAILURES`-th in a row, tell the operators once for this
        run of failures (the watermark keeps the reminders, but nobody learns they are late). True once told."""
        now = self.clock.now()
        self.failed_since = self.failed_since or now
        self.failures += 1
        if self.failures != TELL_AFTER_FAILURES:
            return False
        from bot.outbox.operator_notices import tell_operators
        from bot.ports import Notice

        since = ensure_utc(self.failed_since)
        notice = Notice(kind="delivery_failed", title="Shift reminders are not being written", lines=(
            f"The sweep that writes the reminders of on-call periods about to begin failed {self.failures} times "
            f"in a row since {since:%Y-%m-%d %H:%M} UTC ({type(exc).__name__}; the scheduler's log has the "
            "details).",
            "People going on call may not be reminded now. The sweep tries again each time; once it works, "
            "the reminders that fell due meanwhile go out, saying they are late."))
        try:
            with self.store.session() as s:
                return tell_operators(s, self.config(), cause=f"shift-reminder-sweep:{since:%Y%m%dT%H%M%S}",
                                      notice=notice, at=now)
        except Exception:  # noqa: BLE001 - the database itself may be what fails: the log is all that is left
            log.exception("shift reminders: could not tell the operators that the sweep keeps failing")
            return False

    def run(self) -> list[str]:
        now = self.clock.now()
        try:
            with self.store.session() as s:
                since = min(swept_until(s) or now, now)
                written = write_reminders(s, self.config(), since, now)
                record_sweep(s, now)
        except IntegrityError:
            log.info("another scheduler wrote the same shift reminders at the same time; the next sweep checks")
            return []
        if written:
            log.info("shift reminders written: %s", ", ".join(written))
        return written
