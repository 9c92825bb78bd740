"""The on-call report: per person on-call, night, weekend and holiday hours, pages, call-outs, rest owed.

The basis for on-call pay, fairness and working-time records.  Every figure
is counted on absolute time (a night that contains the autumn change is an
hour longer) over the person's own local days ``first`` .. ``last``:

* on-call hours: the person's shifts (cadence, overrides, coverage) from
  :func:`bot.oncall.schedule.shifts`; being on call in two rotations at once counts once;
* night hours: on-call hours inside the night window of the person's labor
  profile (its ``night_work_limit`` rule) or 23:00-06:00 local;
* weekend hours: on-call hours on local Saturdays and Sundays;
* holiday hours: on-call hours on public holidays of the person's own calendar;
* pages: pages that went out (sent, acknowledged, declined or escalated);
* call-outs: call-outs (from pages and recorded afterwards) that started in the range, and their hours
  inside it; other recorded work (e.g. a planned night migration) in its own column;
* compensatory rest owed: hours recorded with each labor exception used in the range, and how many of those
  uses nobody allowed to declare exceptions has confirmed yet;
* the rest ledger: rest that became owed in the range, by its status now (owed, scheduled, taken).

The rows it reads (pages, call-outs, exceptions used, rest owed, accepted covers) are checked against the audit
chain first (:func:`bot.audit.evidence_rows.rows_against_chain`): each row that differs from the chain (edited,
inserted or deleted outside the bot) is listed in ``chain_problems``, which the report shows at its top and the
command line turns into exit status 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from bot.audit.evidence_rows import rows_against_chain

from bot.clock import ensure_utc
from bot.oncall.covers import accepted_overrides, with_overrides
from bot.oncall.rest_ledger import status_of
from bot.oncall.schedule import Shift, shifts
from bot.oncall.tables import CoverRequest
from bot.oncall.team import Team, team_of
from bot.reports.gaps import policy_rotations
from bot.reports.intervals import clip, hours, merge, overlap_hours
from bot.reports.local_windows import day_span, holiday_windows, night_window_of, night_windows, weekend_windows
from bot.reports.preview import select_rotations
from bot.reports.store_facts import StoreFacts, load_facts, page_time

CHECKED_TABLES = ("page", "engagement", "exception_use", "rest_debt", "cover_request")
BASIS = ("Basis for on-call pay, fairness and working-time records: hours are counted on absolute time "
         "(DST-correct) over each person's own local days.")


@dataclass
class PersonFigures:
    person: str
    name: str
    zone: str
    calendar: str
    night_window: str
    oncall_hours: float = 0.0
    night_hours: float = 0.0
    weekend_hours: float = 0.0
    holiday_hours: float = 0.0
    holidays: list[str] = field(default_factory=list)  # "2026-11-01 All Saints' Day" touched by on-call time
    pages: int = 0
    callouts: int = 0
    callout_hours: float = 0.0
    compensatory_rest_hours: float = 0.0
    work_hours: float = 0.0  # recorded work that is not a call-out
    rest_owed_hours: float = 0.0  # rest ledger: not scheduled yet (owed, overdue) or interrupted
    rest_scheduled_hours: float = 0.0
    rest_taken_hours: float = 0.0
    exceptions: list[str] = field(default_factory=list)  # exception ids, one per use
    unconfirmed: int = 0  # uses nobody allowed to declare exceptions has confirmed yet (see docs/permissions.md)
    participant: bool = False  # a participant of a reported rotation (counts for the fairness spread)


@dataclass
class OnCallReport:
    first: date
    last: date
    rota: str | None
    rotations: tuple[str, ...]
    generated_at: datetime
    rows: list[PersonFigures]
    unknown_people: list[str] = field(default_factory=list)  # in the store but no longer in people.yaml
    chain_problems: list[str] = field(default_factory=list)  # rows read that differ from the audit chain

    def total(self, attr: str) -> float:
        return sum(getattr(r, attr) for r in self.rows)

    @property
    def fairness_spread(self) -> float:
        """Max minus min on-call hours among the rotations' participants (everyone if none)."""
        pool = [r.oncall_hours for r in self.rows if r.participant] or [r.oncall_hours for r in self.rows]
        return (max(pool) - min(pool)) if pool else 0.0


def _figures(team: Team, pid: str, rota_shifts: dict[str, list[Shift]], first: date, last: date,
             facts: StoreFacts, now: datetime) -> PersonFigures:
    """``rota_shifts``: each selected rotation's shifts over a span holding every person's local days."""
    person = team.person(pid)
    window, _source = night_window_of(person)
    row = PersonFigures(pid, person.name, person.zone, person.calendar_label, window)
    start, end = day_span(first, last, person.zone)
    on_call = merge(clip([(s.start, s.end) for found in rota_shifts.values() for s in found if s.person == pid],
                         start, end))
    row.oncall_hours = hours(on_call)
    row.night_hours = overlap_hours(on_call, clip(night_windows(window, first, last, person.zone), start, end))
    row.weekend_hours = overlap_hours(on_call, weekend_windows(first, last, person.zone))
    for day, name, span in holiday_windows(person, first, last):
        spent = overlap_hours(on_call, [span])
        row.holiday_hours += spent
        if spent:
            row.holidays.append(f"{day} {name}")

    def inside(at: datetime) -> bool:
        return start <= ensure_utc(at) < end

    row.pages = sum(1 for p in facts.pages if p.person_id == pid and inside(page_time(p)))
    mine = [e for e in facts.engagements if e.person_id == pid]
    callouts = [e for e in mine if e.kind == "callout"]
    row.callouts = sum(1 for e in callouts if inside(e.start))
    row.callout_hours = hours(clip([(e.start, e.end or max(e.start, ensure_utc(now))) for e in callouts], start, end))
    row.work_hours = hours(clip([(e.start, e.end or max(e.start, ensure_utc(now))) for e in mine if e.kind != "callout"],
                                start, end))
    work = [(e.id, e.start, e.end) for e in mine]
    for debt in facts.debts:
        if debt.person_id == pid and inside(debt.owed_since):
            status = status_of(debt, work, now).status
            if status == "taken":
                row.rest_taken_hours += debt.hours
            elif status == "scheduled":
                row.rest_scheduled_hours += debt.hours
            else:
                row.rest_owed_hours += debt.hours
    uses = [u for u in facts.exceptions if u.person_id == pid and inside(u.at)]
    row.compensatory_rest_hours = sum(u.compensatory_rest_hours for u in uses)
    row.exceptions = [u.exception_id for u in uses]
    row.unconfirmed = sum(1 for u in uses if u.confirmed_by is None)
    return row


def build_report(config, session: Session, first: date, last: date, *, now: datetime,
                 rota: str | None = None) -> OnCallReport:
    """Figures for local days ``first`` .. ``last`` (inclusive); ``rota`` limits shifts and store rows to it."""
    if last < first:
        raise ValueError(f"expected the last day on or after the first ({first}), got {last}")
    team = with_overrides(team_of(config), accepted_overrides(session))  # covers accepted in chat count too
    selected = select_rotations(team, rota)
    targets: set[str] | None = None
    if rota is not None:
        targets = {rota} | set(selected) | {pid for pid, rots in policy_rotations(team).items() if set(rots) & set(selected)}
    zones = {p.zone for p in team.people.values()} or {"UTC"}
    spans = [day_span(first, last, z) for z in zones]
    facts = load_facts(session, min(s for s, _ in spans), max(e for _, e in spans), targets)
    participants = {p for rid in selected for p in team.rotations[rid].participants}
    # Each rotation's shifts are built once, over every zone's local days, and clipped per person and rotation.
    wide = [day_span(first, last, z) for z in zones | {team.rotations[rid].timezone for rid in selected}]
    rota_shifts = {rid: shifts(team, rid, min(s for s, _ in wide), max(e for _, e in wide)) for rid in selected}
    people = set(participants)
    for rid in selected:
        start, end = day_span(first, last, team.rotations[rid].timezone)
        people |= {s.person for s in rota_shifts[rid] if s.end > start and s.start < end}
    people |= {p.person_id for p in facts.pages} | {e.person_id for e in facts.engagements}
    people |= {u.person_id for u in facts.exceptions} | {d.person_id for d in facts.debts}
    covers = session.exec(select(CoverRequest).where(CoverRequest.status == "accepted")).all()
    problems = rows_against_chain(session, [*facts.pages, *facts.engagements, *facts.exceptions, *facts.debts, *covers],
                                  CHECKED_TABLES)
    rows, unknown = [], []
    for pid in sorted(people):
        if pid not in team.people:
            unknown.append(pid)  # no zone or calendar to count in; listed so nobody disappears silently
            continue
        row = _figures(team, pid, rota_shifts, first, last, facts, now)
        row.participant = pid in participants
        if row.participant or row.oncall_hours or row.pages or row.callouts or row.exceptions or row.work_hours \
                or row.rest_owed_hours or row.rest_scheduled_hours or row.rest_taken_hours:
            rows.append(row)
    return OnCallReport(first, last, rota, tuple(selected), ensure_utc(now), rows, unknown, problems)
