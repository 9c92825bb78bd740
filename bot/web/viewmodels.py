"""What the web view's pages show, built from the core's read APIs for one viewer.

Times are written in the viewer's zone (their people.yaml zone, else the
organisation's) with UTC beside them; incidents come only through the incident
service's reads with the viewer as reader, so a private incident the viewer may
not see is absent, exactly as a number that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.clock import ensure_utc
from bot.incidents.people_timeline import for_people
from bot.incidents.views import EventView
from bot.oncall.directory import person_by_slack, person_timezone
from bot.oncall.schedule import on_call
from bot.oncall.team import team_of
from bot.oncall.wallclock import to_local


def viewer_zone(config, user: str) -> str:
    person = person_by_slack(config, user) if config.loaded("people") else None
    return person_timezone(config, person) if person else config.settings.timezone


def when(at: datetime | None, zone: str) -> str:
    """'2026-12-25 03:00 CET (02:00 UTC)' or '-'."""
    if at is None:
        return "-"
    local = to_local(at, zone)
    return f"{local:%Y-%m-%d %H:%M %Z} ({ensure_utc(at):%H:%M} UTC)"


@dataclass(frozen=True)
class OnCallRow:
    rotation: str
    name: str
    now: str
    now_until: str
    override: str
    next: str


def on_call_rows(config, now: datetime, zone: str) -> list[OnCallRow]:
    team = team_of(config)
    rows = []
    for rid in sorted(team.rotations):
        current = on_call(team, rid, now)
        following = on_call(team, rid, current.shift_end)

        def name(pid: str | None) -> str:
            if not pid:
                return "nobody (outside coverage)"
            person = team.people.get(pid)
            return f"{person.name} ({pid})" if person else pid

        rows.append(OnCallRow(rid, team.rotations[rid].name or rid, name(current.person), when(current.shift_end, zone),
                              current.override_reason or "", name(following.person)))
    return rows


@dataclass(frozen=True)
class DutyRow:
    incident: str
    number: int
    obligation: str
    recipient: str
    status: str
    due: str
    citation: str
    overdue: bool
    due_at: datetime | None


def duty_rows(obligations, incident, zone: str, now: datetime) -> list[DutyRow]:
    """Open duties first, soonest due first, those without a due time after them; then the rest."""
    out = []
    for o in obligations:
        overdue = o.status == "open" and o.due_at is not None and ensure_utc(o.due_at) < ensure_utc(now)
        due = when(o.due_at, zone) + (" (estimated)" if o.estimated and o.due_at else "")
        out.append(DutyRow(incident.label, incident.number, o.obligation, o.recipient, o.status, due, o.citation,
                           overdue, ensure_utc(o.due_at) if o.due_at else None))
    far = datetime.max.replace(tzinfo=ensure_utc(now).tzinfo)
    return sorted(out, key=lambda d: (d.status != "open", d.due_at or far, d.obligation))


def display_name(config, user: str | None) -> str:
    """'Katrin Vogel (U0KATRIN1)' for a Slack user in people.yaml, else the id; 'unfilled' for nobody."""
    if not user:
        return "unfilled"
    person = person_by_slack(config, user) if config.loaded("people") else None
    if person is None:
        return user
    return f"{team_of(config).people[person].name} ({user})"


@dataclass(frozen=True)
class TimelineRows:
    """The incident page's timeline: (event, when, who) rows and how many record-keeping events were left out."""
    rows: list[tuple[EventView, str, str]]
    hidden: int
    everything: bool


def timeline_rows(config, events: list[EventView], zone: str, *, everything: bool) -> TimelineRows:
    """What people did and were told, as ``/incident timeline`` shows it (:mod:`bot.incidents.people_timeline`);
    with ``everything`` the bot's record keeping too. Each row keeps its chain number, so the gaps show."""
    shown, hidden = (list(events), 0) if everything else for_people(events)
    return TimelineRows([(e, when(e.at, zone), display_name(config, e.actor)) for e in shown], hidden, everything)
