"""Shift reminders reach people: the leader's sweep writes one row per person and period start, the worker sends
it once, people whose rules limit contact outside work get it in their working hours, and a cover changes who
is reminded.

The shipped rota (config/rotas.yaml): ``platform`` hands over on Mondays at 09:00 Berlin (08:00 UTC in winter):
bruno (Lisbon) from 28 Dec, carla from 4 Jan but felix (Munich) covers her that week (an override in the
rota file), diogo (Lisbon) from 11 Jan.  Lisbon is on UTC in winter; the Portuguese profile (pt-ct) bans
contact during rest (CT art. 199.º-A), the German ones have no contact window.
"""

from __future__ import annotations

import shutil
import threading
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from sqlmodel import select

from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, load_config
from bot.audit.tables import TimelineEvent
from bot.oncall.tables import CoverRequest
from bot.outbox.tables import Reminder
from bot.scheduling.delivery import Dispatcher
from bot.scheduling.leader import AlwaysLeader
from bot.scheduling.scheduler import ReminderScheduler
from bot.scheduling.shift_reminder_sweep import ShiftReminderSweep
from tests.conftest import REPO_ROOT
from tests.scheduling.fakes import FakeChat

UTC = timezone.utc
FELIX, DIOGO, BRUNO, ANNA, CARLA = "U0FELIX01", "U0DIOGO01", "U0BRUNO01", "U0ANNA001", "U0CARLA01"
FELIX_STARTS = datetime(2027, 1, 4, 8, 0, tzinfo=UTC)  # MO 4 Jan 09:00 Berlin: felix's cover week of platform


def _config(tmp_path, *, hours=None, rotas_edit=None, leave=None):
    target = tmp_path / "config"
    shutil.copytree(REPO_ROOT / "config", target)
    if hours is not None:
        path = target / "settings.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("shift_reminder_hours: 24",
                                                                 f"shift_reminder_hours: {hours}"), encoding="utf-8")
    if rotas_edit is not None:
        doc = yaml.safe_load((target / "rotas.yaml").read_text(encoding="utf-8"))
        rotas_edit(doc)
        (target / "rotas.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    if leave is not None:
        doc = yaml.safe_load((target / "people.yaml").read_text(encoding="utf-8"))
        for person in doc["people"]:
            if person["id"] in leave:
                first, last = leave[person["id"]]
                person.setdefault("leave", []).append({"from": first, "to": last, "kind": "vacation"})
        (target / "people.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_config(ConfigPaths(target, REPO_ROOT / "playbooks"))


class World:
    def __init__(self, store, config, start):
        self.store, self.config = store, config
        self.clock = ManualClock(start)
        self.chat = FakeChat()
        self.dispatcher = Dispatcher(store, lambda: config, self.chat, self.clock)
        self.sweep = ShiftReminderSweep(store, lambda: config, self.clock)

    def tick(self):
        """What the leader does on each sweep: write the reminders due, deliver what is due."""
        written = self.sweep.run()
        self.dispatcher.run_due()
        return written

    def at(self, when):
        self.clock.set(when)
        return self.tick()

    def dms(self, user, rotation="platform"):
        return [s for s in self.chat.sent if s.to == user and s.notice.kind == "shift_reminder"
                and s.notice.metadata.get("rotation") == rotation]

    def rows(self, rotation="platform"):
        with self.store.session() as s:
            rows = s.exec(select(Reminder).where(Reminder.kind == "shift_reminder").order_by(Reminder.id)).all()
            return [r for r in rows if r.payload["rotation"] == rotation]


@pytest.fixture
def shipped(tmp_path):
    return _config(tmp_path)


def _accept_cover(store, *, taker, replaces, start, end, at):
    with store.session() as s:
        s.add(CoverRequest(rotation="platform", taker=taker, replaces=replaces, start=start, end=end, reason="test",
                           status="accepted", proposed_by=replaces, proposed_at=at, decided_by=taker, decided_at=at))


def test_a_reminder_goes_out_once_when_the_period_enters_the_lead_window_and_not_before(store, shipped):
    w = World(store, shipped, FELIX_STARTS - timedelta(hours=24, seconds=1))
    w.tick()
    assert w.rows() == [] and w.dms(FELIX) == []  # one second before the 24 hours
    w.at(FELIX_STARTS - timedelta(hours=24))
    [dm] = w.dms(FELIX)
    assert dm.notice.title == "You are on call for Platform primary soon"
    assert dm.notice.lines[0] == "From 2027-01-04 09:00 Europe/Berlin to 2027-01-11 09:00 Europe/Berlin."
    assert dm.notice.buttons[0].value == f"shift:platform:{int(FELIX_STARTS.timestamp())}:" \
                                         f"{int((FELIX_STARTS + timedelta(days=7)).timestamp())}"
    # every later sweep, a second scheduler's sweep, a restarted one: the row exists, nothing more is written
    second, restarted = ShiftReminderSweep(store, lambda: shipped, w.clock), ShiftReminderSweep(store, lambda: shipped, w.clock)
    for _ in range(3):
        w.clock.advance(minutes=5)
        assert [k for k in w.tick() + second.run() + restarted.run() if ":platform:" in k] == []
        w.dispatcher.run_due()
    assert len(w.dms(FELIX)) == 1 and len(w.rows()) == 1 and w.rows()[0].state == "sent"
    assert w.dms(CARLA) == []  # the rota file's override: felix holds carla's week, carla is not reminded
    with store.session() as s:  # on the global chain, named once ("shift reminder", not "shift reminder reminder")
        [sent] = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "reminder.sent")).all()
    assert sent.chain == "global" and sent.summary == f"Sent shift reminder to {w.rows()[0].delivered_to}"


def test_two_schedulers_sweeping_at_once_write_one_row(store, shipped):
    clock = ManualClock(FELIX_STARTS - timedelta(hours=23))
    sweeps = [ShiftReminderSweep(store, lambda: shipped, clock) for _ in range(2)]
    barrier, errors = threading.Barrier(2), []

    def run(sweep):
        barrier.wait()
        try:
            sweep.run()
        except Exception as exc:  # noqa: BLE001 - the assertion below names it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(s,)) for s in sweeps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in sweeps:
        s.run()  # the loser of a collision finds the rows on its next sweep
    assert errors == []
    with store.session() as s:
        keys = s.exec(select(Reminder.key).where(Reminder.kind == "shift_reminder")).all()
    assert len(keys) == len(set(keys)) and len([k for k in keys if k.endswith(":felix")]) == 1


def test_the_leaders_tick_writes_and_sends_the_reminder(store, shipped):
    clock, chat = ManualClock(FELIX_STARTS - timedelta(hours=12)), FakeChat()
    scheduler = ReminderScheduler(store, lambda: shipped, chat, clock, leader=AlwaysLeader())
    scheduler.tick()  # not the leader: nothing
    assert [s for s in chat.sent if s.notice.kind == "shift_reminder"] == []
    scheduler.is_leader = True  # what winning the leader lock sets (without APScheduler's threads)
    scheduler.tick()
    scheduler.run_pending()
    assert [s.to for s in chat.sent if s.notice.metadata.get("rotation") == "platform"] == [FELIX]


def test_someone_with_a_contact_window_gets_it_when_their_working_hours_begin(store, tmp_path):
    # diogo (Lisbon, pt-ct: contact during rest forbidden) holds platform from MO 11 Jan 09:00 Berlin = 08:00 UTC.
    # With a 72-hour lead the reminder is due FR 8 Jan 08:00 UTC = 08:00 in Lisbon (WET, UTC+0 in winter). His
    # working hours are MO-FR 10:00-13:00 and 14:00-19:00 Lisbon; 8 Jan is no Portuguese holiday, no company
    # closure and no leave of his. So it is held, and goes out when his window opens: FR 8 Jan 10:00 UTC.
    w = World(store, _config(tmp_path, hours=72), datetime(2027, 1, 8, 8, 0, tzinfo=UTC))
    w.tick()
    [row] = w.rows()[-1:]
    assert row.recipient == DIOGO and row.state == "pending"
    assert row.next_attempt_at == datetime(2027, 1, 8, 10, 0, tzinfo=UTC)  # held until his working hours
    w.at(datetime(2027, 1, 8, 9, 59, 59, tzinfo=UTC))
    assert w.dms(DIOGO) == []
    w.at(datetime(2027, 1, 8, 10, 0, tzinfo=UTC))
    [dm] = w.dms(DIOGO)
    assert dm.notice.title.endswith("soon") and dm.notice.lines[0].startswith("From 2027-01-11 08:00 Europe/Lisbon")
    assert w.rows()[-1].sent_at == datetime(2027, 1, 8, 10, 0, tzinfo=UTC)


def test_held_past_the_start_it_is_sent_when_the_window_opens_and_says_so(store, shipped):
    # bruno (Lisbon, pt-ct) holds platform from MO 28 Dec 08:00 UTC; with the shipped 24-hour lead the reminder is
    # due SU 27 Dec 08:00 UTC, a Sunday (and the last day of his leave, 23-27 Dec). His working hours, MO-FR from
    # 09:00 Lisbon (= UTC), begin MO 28 Dec 09:00 UTC: an hour into his period. It goes out then, saying "now".
    w = World(store, shipped, datetime(2026, 12, 27, 8, 0, tzinfo=UTC))
    w.tick()
    assert w.dms(BRUNO) == [] and w.rows()[0].next_attempt_at == datetime(2026, 12, 28, 9, 0, tzinfo=UTC)
    w.at(datetime(2026, 12, 28, 9, 0, tzinfo=UTC))
    [dm] = w.dms(BRUNO)
    assert dm.notice.title == "You are on call for Platform primary now"
    assert dm.notice.lines[0] == "Since 2026-12-28 08:00 Europe/Lisbon, until 2027-01-04 08:00 Europe/Lisbon."
    assert "late" not in dm.notice.footer  # held on purpose, not late


def test_a_cover_accepted_before_the_reminder_reminds_the_taker_not_the_person_covered(store, shipped):
    _accept_cover(store, taker="anna", replaces="felix", start=FELIX_STARTS, end=FELIX_STARTS + timedelta(days=7),
                  at=FELIX_STARTS - timedelta(days=3))
    w = World(store, shipped, FELIX_STARTS - timedelta(hours=24))
    w.tick()
    assert [dm.to for dm in w.dms(ANNA)] == [ANNA] and w.dms(FELIX) == []


def test_a_cover_accepted_after_the_reminder_reminds_the_taker_once_and_not_the_covered_again(store, shipped):
    w = World(store, shipped, FELIX_STARTS - timedelta(hours=24))
    w.tick()
    assert len(w.dms(FELIX)) == 1
    # anna takes the last two days: felix's period is shorter, its start (his key) unchanged; he is not told again
    _accept_cover(store, taker="anna", replaces="felix", start=FELIX_STARTS + timedelta(days=5),
                  end=FELIX_STARTS + timedelta(days=7), at=w.clock.now())
    w.at(w.clock.now() + timedelta(minutes=1))
    assert len(w.dms(FELIX)) == 1 and w.dms(ANNA) == []  # anna's part begins in 5 days: not in the window yet
    w.at(FELIX_STARTS + timedelta(days=4))
    [dm] = w.dms(ANNA)
    assert dm.notice.lines[0] == "From 2027-01-09 09:00 Europe/Berlin to 2027-01-11 09:00 Europe/Berlin."
    assert len(w.dms(FELIX)) == 1


def test_a_held_reminder_is_dropped_when_a_cover_takes_the_period_before_it_goes_out(store, tmp_path):
    w = World(store, _config(tmp_path, hours=72), datetime(2027, 1, 8, 8, 0, tzinfo=UTC))
    w.tick()  # diogo's, held until 10:00 (see the test above)
    _accept_cover(store, taker="anna", replaces="diogo", start=datetime(2027, 1, 11, 8, 0, tzinfo=UTC),
                  end=datetime(2027, 1, 18, 8, 0, tzinfo=UTC), at=w.clock.now())
    w.at(datetime(2027, 1, 8, 8, 1, tzinfo=UTC))
    assert [dm.to for dm in w.dms(ANNA)] == [ANNA]  # Munich, in her working hours: at once
    w.at(datetime(2027, 1, 8, 10, 0, tzinfo=UTC))
    assert w.dms(DIOGO) == [] and [r.state for r in w.rows() if r.recipient == DIOGO] == ["cancelled"]


def test_nobody_is_reminded_of_a_period_that_begins_in_their_leave(store, tmp_path):
    # anna holds platform again from MO 1 Feb 2027 09:00 Berlin (08:00 UTC), six weeks after her first. The config
    # refuses a rota that names someone on leave without an override, but only over the weeks `check` looks at
    # (weeks_ahead: 0 here, so only the rota file's fixed window, which ends in January): the rota names her in
    # her leave (shifts() knows no leave), and she is not messaged on holiday
    def later_check_only(doc):
        doc["compliance"]["weeks_ahead"] = 0

    config = _config(tmp_path, rotas_edit=later_check_only, leave={"anna": ("2027-02-01", "2027-02-05")})
    starts = datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    from bot.oncall.shift_reminders import upcoming
    from bot.oncall.team import team_of

    assert [p.person for p in upcoming(team_of(config), starts, starts + timedelta(seconds=1))
            if p.rotation == "platform"] == ["anna"]
    w = World(store, config, starts - timedelta(hours=24))
    w.tick()
    assert w.rows() == [] and w.dms(ANNA) == []


def test_someone_on_leave_until_the_day_before_is_not_messaged_on_holiday(store, tmp_path):
    # anna (Munich, no contact window) holds platform from MO 1 Feb 2027 09:00 Berlin (08:00 UTC); on leave FR 29 to
    # SU 31 Jan, the reminder due SU 31 Jan 08:00 UTC waits for her first working hours after it: MO 1 Feb
    # 09:00 Berlin (her hours are MO-FR from 09:00), the instant her period begins, so it says "now"
    def later_check_only(doc):
        doc["compliance"]["weeks_ahead"] = 0

    w = World(store, _config(tmp_path, rotas_edit=later_check_only, leave={"anna": ("2027-01-29", "2027-01-31")}),
              datetime(2027, 1, 31, 8, 0, tzinfo=UTC))
    w.tick()
    assert w.dms(ANNA) == [] and w.rows()[-1].next_attempt_at == datetime(2027, 2, 1, 8, 0, tzinfo=UTC)
    w.at(datetime(2027, 2, 1, 8, 0, tzinfo=UTC))
    [dm] = w.dms(ANNA)
    assert dm.notice.title.endswith("now")


def test_no_reminders_when_the_lead_time_is_zero(store, tmp_path):
    w = World(store, _config(tmp_path, hours=0), FELIX_STARTS - timedelta(hours=1))
    assert w.tick() == [] and w.chat.sent == []


def test_a_coverage_window_rotation_reminds_once_per_week_not_every_day(store, shipped):
    # payments-emea covers 07:00-19:00 Paris every day and hands over on Mondays at 09:00 Paris: lea's week begins
    # MO 28 Dec 09:00 Paris (08:00 UTC); her seven daytime windows are one period
    w = World(store, shipped, datetime(2026, 12, 27, 6, 0, tzinfo=UTC))
    for day in range(7):
        w.at(datetime(2026, 12, 27, 6, 0, tzinfo=UTC) + timedelta(days=day))
    with store.session() as s:
        keys = [k for k in s.exec(select(Reminder.key).where(Reminder.kind == "shift_reminder")).all()
                if ":payments-emea:" in k]
    assert keys == [f"shift-reminder:payments-emea:{int(datetime(2026, 12, 28, 8, 0, tzinfo=UTC).timestamp())}:lea"]
