"""Shift reminders that fell due while no scheduler swept: the sweep's watermark is in the database, so a
restarted scheduler or a new leader starts where the last sweep of any process ended, and a period still
running gets its reminder late, saying so; one already over gets none; a fresh database reminds nobody of a
period already running.

The shipped rota (see test_shift_reminders.py): ``platform`` hands over on Mondays at 08:00 UTC in winter,
bruno from MO 28 Dec, felix (Munich, at work from 09:00 Berlin) from MO 4 Jan until MO 11 Jan.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import select

from bot.scheduling.shift_reminder_sweep import ShiftReminderSweep
from bot.scheduling.tables import SweepWatermark
from tests.scheduling.test_shift_reminders import BRUNO, FELIX, FELIX_STARTS, World, _config

UTC = timezone.utc
BRUNO_STARTS = datetime(2026, 12, 28, 8, 0, tzinfo=UTC)


def _restarted(w):
    """The scheduler process stops and another starts: a new sweep object, nothing kept in memory."""
    w.sweep = ShiftReminderSweep(w.store, lambda: w.config, w.clock)


def _watermark(store):
    with store.session() as s:
        return [(m.sweep, m.swept_until) for m in s.exec(select(SweepWatermark)).all()]


def test_a_period_that_began_while_no_scheduler_swept_gets_one_late_reminder_saying_it_began(store, tmp_path):
    # one-hour lead: the sweep at T (06:00) sees nothing of felix's period (08:00); nothing sweeps while it falls
    # due (07:00) and begins (T + 2h); the scheduler is back at T + 3h (10:00 Berlin, felix at work)
    w = World(store, _config(tmp_path, hours=1), FELIX_STARTS - timedelta(hours=2))
    w.tick()
    assert w.rows() == []
    _restarted(w)
    w.at(FELIX_STARTS + timedelta(hours=1))
    [dm] = w.dms(FELIX)
    assert dm.notice.title == "You are on call for Platform primary now"
    assert dm.notice.lines[0] == "Since 2027-01-04 09:00 Europe/Berlin, until 2027-01-11 09:00 Europe/Berlin."
    assert dm.notice.footer == "Sent 2h 00m late: the scheduler was not running when this was due."
    for _ in range(3):  # later sweeps, of this process or a restarted one, write nothing more
        w.clock.advance(minutes=5)
        w.tick()
        _restarted(w)
    assert len(w.dms(FELIX)) == 1 and [r.state for r in w.rows()] == ["sent"]


def test_a_period_that_began_and_ended_while_no_scheduler_swept_gets_no_reminder(store, tmp_path):
    # the last sweep before bruno's week (MO 28 Dec 06:00, one-hour lead); the next one a week later, an hour into
    # felix's: bruno's period is over (none), felix's still runs (one, late)
    w = World(store, _config(tmp_path, hours=1), BRUNO_STARTS - timedelta(hours=2))
    w.tick()
    _restarted(w)
    w.at(FELIX_STARTS + timedelta(hours=1))
    assert w.dms(BRUNO) == [] and [r.recipient for r in w.rows()] == [FELIX]
    [dm] = w.dms(FELIX)
    assert dm.notice.title.endswith("now") and dm.notice.footer.startswith("Sent 2h 00m late")


def test_a_reminder_that_fell_due_in_the_gap_before_the_period_says_soon_and_late(store, tmp_path):
    # the shipped 24-hour lead: felix's reminder is due SU 3 Jan 08:00; the scheduler sweeps at 04:00, is gone
    # until 12:00: the reminder goes out then, four hours late, the period not begun
    w = World(store, _config(tmp_path), FELIX_STARTS - timedelta(hours=28))
    w.tick()
    assert w.dms(FELIX) == []
    _restarted(w)
    w.at(FELIX_STARTS - timedelta(hours=20))
    [dm] = w.dms(FELIX)
    assert dm.notice.title.endswith("soon")
    assert dm.notice.footer == "Sent 4h 00m late: the scheduler was not running when this was due."


def test_late_is_counted_from_when_it_would_have_gone_out_held_for_working_hours(store, tmp_path):
    # bruno (Lisbon = UTC in winter, pt-ct: contact only in working hours, MO-FR from 09:00) holds platform from
    # MO 28 Dec 08:00; with a one-hour lead his reminder is due at 07:00 and would have been held until 09:00.
    # The scheduler is back at 08:30: held until 09:00 as it would have been, sent then, not late
    w = World(store, _config(tmp_path, hours=1), BRUNO_STARTS - timedelta(hours=2))
    w.tick()
    _restarted(w)
    w.at(BRUNO_STARTS + timedelta(minutes=30))
    assert w.dms(BRUNO) == [] and w.rows()[0].next_attempt_at == BRUNO_STARTS + timedelta(hours=1)
    w.at(BRUNO_STARTS + timedelta(hours=1))
    [dm] = w.dms(BRUNO)
    assert dm.notice.title.endswith("now") and dm.notice.footer == ""


def test_a_late_reminder_in_working_hours_counts_from_their_start(store, tmp_path):
    # as above, the scheduler back at 10:00 (in his working hours): sent at once, an hour after 09:00
    w = World(store, _config(tmp_path, hours=1), BRUNO_STARTS - timedelta(hours=2))
    w.tick()
    _restarted(w)
    w.at(BRUNO_STARTS + timedelta(hours=2))
    [dm] = w.dms(BRUNO)
    assert dm.notice.footer == "Sent 1h 00m late: the scheduler was not running when this was due."


def test_a_new_leader_starts_its_window_at_the_last_leaders_watermark(store, tmp_path):
    config = _config(tmp_path, hours=1)
    w = World(store, config, FELIX_STARTS - timedelta(hours=2))
    w.tick()  # sweep A
    assert _watermark(store) == [("shift_reminder", FELIX_STARTS - timedelta(hours=2))]
    w.clock.set(FELIX_STARTS + timedelta(hours=1))
    leader_b = ShiftReminderSweep(store, lambda: config, w.clock)  # another process, same database
    felix_key = f"shift-reminder:platform:{int(FELIX_STARTS.timestamp())}:felix"
    assert [k for k in leader_b.run() if ":platform:" in k] == [felix_key]
    assert _watermark(store) == [("shift_reminder", FELIX_STARTS + timedelta(hours=1))]
    w.clock.set(FELIX_STARTS)  # A's clock behind B's: the watermark never moves back, nothing is written twice
    assert [k for k in w.sweep.run() if ":platform:" in k] == []
    assert _watermark(store) == [("shift_reminder", FELIX_STARTS + timedelta(hours=1))]


def test_on_a_fresh_database_the_first_sweep_reminds_nobody_of_a_period_already_running(store, tmp_path):
    # the first deploy, an hour into felix's period: no watermark, the window starts at now
    w = World(store, _config(tmp_path, hours=1), FELIX_STARTS + timedelta(hours=1))
    assert _watermark(store) == []
    w.tick()
    assert w.rows() == [] and w.dms(FELIX) == []
    assert _watermark(store) == [("shift_reminder", FELIX_STARTS + timedelta(hours=1))]
    _restarted(w)
    w.at(FELIX_STARTS + timedelta(hours=2))  # nor does the next, of a restarted process
    assert w.rows() == [] and w.dms(FELIX) == []


def test_a_sweep_that_keeps_failing_is_told_to_the_operators_once_per_run_of_failures(store, tmp_path, monkeypatch):
    """The watermark keeps the reminders for later, but while the sweep fails nobody going on call is reminded:
    a log line every few seconds told nobody. At the third failure in a row the operations channel is told, once;
    a sweep that works ends the run, and a new run of failures is told again."""
    from bot.outbox.tables import Reminder
    from bot.scheduling.leader import AlwaysLeader
    from bot.scheduling.scheduler import ReminderScheduler
    from tests.scheduling.fakes import FakeChat

    config = _config(tmp_path, hours=1)
    w = World(store, config, FELIX_STARTS - timedelta(days=3))
    scheduler = ReminderScheduler(store, lambda: config, FakeChat(), w.clock, leader=AlwaysLeader())
    broken = {"on": True}
    real_run = scheduler.shift_reminders.run

    def run():
        if broken["on"]:
            raise RuntimeError("the people file cannot be read")
        return real_run()

    monkeypatch.setattr(scheduler.shift_reminders, "run", run)

    def told():
        with store.session() as s:
            rows = s.exec(select(Reminder).where(Reminder.kind == "post", Reminder.incident_id == None)).all()  # noqa: E711
            return [r for r in rows if r.payload["notice"]["title"] == "Shift reminders are not being written"]

    for sweep in range(1, 6):
        scheduler._sweep_shift_reminders()
        w.clock.advance(seconds=5)
        assert len(told()) == (0 if sweep < 3 else 1), sweep  # told at the third, not again at the fourth, fifth
    assert "failed 3 times in a row" in " ".join(told()[0].payload["notice"]["lines"])
    broken["on"] = False
    scheduler._sweep_shift_reminders()  # it works again
    broken["on"] = True
    for _ in range(3):
        scheduler._sweep_shift_reminders()
        w.clock.advance(seconds=5)
    assert len(told()) == 2  # a new run of failures, told again
