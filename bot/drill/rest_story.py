"""A drill step: a call-out recorded after the fact shortens someone's availability; owed rest gets scheduled.

Once the call-out of the person who acknowledged a page has ended (the
incident is resolved), that person records, with ``/oncall worked``, a further
call-out they took by phone that afternoon: work the bot did not see.  The
step shows who the page they answered would reach at that moment, without
and with the record, and their manager then schedules the compensatory rest
the call-out left owed (the "Schedule it from now" button of the rest nudge
the scheduler sent them).
The drill summary prints the record and the rest ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TextIO

from sqlmodel import select

from bot.drill.running import RunningDrill
from bot.oncall import rest_ledger
from bot.oncall.history import load_history
from bot.oncall.paging import declared_exception
from bot.oncall.planner import plan_level
from bot.oncall.service import OnCallService, RequestRefused
from bot.oncall.tables import Engagement, Page
from bot.oncall.team import team_of
from bot.oncall.wallclock import to_local
from bot.slack.oncall_requests import deliver

PHONED = (timedelta(hours=5), timedelta(hours=9, minutes=30))  # the phoned-in call-out, counted from the release
ACT_AFTER = timedelta(hours=10)  # when it is recorded, counted from the release
POLL = timedelta(hours=1)
NOTE = "phoned by the NOC after the incident: a follow-up check failed"


@dataclass
class RestStory:
    drill: RunningDrill
    lines: list[str] = field(default_factory=list)  # for the summary

    def start(self) -> None:
        self.drill.agenda.add(self.drill.world.clock.now() + POLL, "a responder records a call-out taken by phone",
                              self.step)

    def _released(self) -> tuple[str, datetime, Page] | None:
        """The first person released from a call-out for this incident: (person, end, the page they answered)."""
        with self.drill.world.store.session() as s:
            rows = s.exec(select(Engagement).where(Engagement.incident_id == self.drill.number,
                                                   Engagement.source == "page",
                                                   Engagement.end.is_not(None))).all()  # type: ignore[union-attr]
            if not rows:
                return None
            first = min(rows, key=lambda r: (r.end, r.id))
            page = s.get(Page, first.page_id) if first.page_id is not None else None
            if page is None:
                return None
            s.expunge(page)
            return first.person_id, first.end, page  # type: ignore[return-value]

    def step(self) -> None:
        w = self.drill.world
        now = w.clock.now()
        released = self._released()
        if released is None:
            if w.incidents.get(self.drill.number).status == "active":
                self.drill.agenda.add(now + POLL, "a responder records a call-out taken by phone", self.step)
            return
        person, end, page = released
        if now < end + ACT_AFTER:
            self.drill.agenda.add(end + ACT_AFTER, "a responder records a call-out taken by phone", self.step)
            return
        self._record(person, end, page)

    def _reach(self, page: Page, person: str, at: datetime) -> tuple[str, str | None]:
        """What the level of ``page``, planned at ``at`` with the incident's exception, does with ``person``, and who
        it would page."""
        w = self.drill.world
        with w.store.session() as s:
            history = load_history(s, list(team_of(w.config).people), at)
            exception = declared_exception(s, self.drill.number)
        plan = plan_level(w.config, page.target, page.level, at, page.severity, urgency=page.urgency,
                          history=history, exception=exception)
        paged = plan.plan[0].person if plan.plan else None
        step = next((st for st in plan.plan if st.person == person), None)
        if step is not None:
            return f"it reaches {person}" + (f" (under exception {step.exception})" if step.exception else ""), paged
        reasons = [sk.reason.removeprefix("skipped: ") for sk in plan.skipped if sk.person == person]
        return f"{person} is skipped: " + "; ".join(reasons or ["not eligible"]), paged

    def _record(self, person: str, end: datetime, page: Page) -> None:
        w, out = self.drill.world, self.drill.out
        team = team_of(w.config)
        zone = team.person(person).zone
        start_local, end_local = to_local(end + PHONED[0], zone), to_local(end + PHONED[1], zone)
        span = f"{start_local:%Y-%m-%d %H:%M}-{end_local:%H:%M}"
        now = w.clock.now()
        service = OnCallService(w.store, lambda: w.config, w.clock)
        before, _ = self._reach(page, person, now)
        try:
            answer = service.record_worked(team.person(person).slack, span, NOTE, key="drill:worked")
        except RequestRefused as exc:
            self.lines.append(f"{person}'s record was refused: {exc}")
            print(f"  /oncall worked {span} by {person} refused: {exc}", file=out)
            return
        deliver(w.slack, answer)
        after, instead = self._reach(page, person, now)
        print(f"  {person} types: /oncall worked {span} {NOTE}\n    {answer.reply}", file=out)
        when = f"{to_local(now, zone):%a %d %b %H:%M}"
        self.lines.append(f"/oncall worked by {person}: {answer.reply.removeprefix('Recorded: ')}")
        head = f"{person} answered the level-{page.level} page of {page.target}; that level planned again at {when}: "
        if after == before:
            self.lines.append(head + f"{after}, with or without the record")
        else:
            self.lines.append(head + f"before the record {before}; after it {after}"
                              + (f"; {instead} would be paged instead" if instead and instead != person else ""))
        manager = rest_ledger.manager_of(team, person)
        if manager is None or manager not in team.people:
            return
        with w.store.session() as s:
            owed = [v.debt.id for v in rest_ledger.ledger(s, person_ids=[person], now=now) if v.status in ("owed", "overdue")]
        for debt_id in owed:
            try:
                answer = service.schedule_rest_now(team.person(manager).slack, debt_id, key=f"drill:rest:{debt_id}")
            except RequestRefused as exc:
                self.lines.append(f"{manager} could not schedule rest #{debt_id}: {exc}")
                continue
            deliver(w.slack, answer)
            print(f"  {manager} presses 'Schedule it from now' on rest #{debt_id}\n    {answer.reply}", file=out)

    def print_summary(self, file: TextIO) -> None:
        w = self.drill.world
        print("\nRest after call-outs (work records and the rest ledger)\n" + "-" * 56, file=file)
        for line in self.lines:
            print(f"  {line}", file=file)
        team = team_of(w.config)
        with w.store.session() as s:
            views = rest_ledger.ledger(s, now=w.clock.now())
            for view in views:
                print(f"  {rest_ledger.describe(team, view).text}", file=file)
        if not views:
            print("  no compensatory rest owed", file=file)
