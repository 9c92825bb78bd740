"""Tabletop exercises and drills: a record on the global hash chain, listed in the period evidence report.

ISO/IEC 27001:2022 A.5.24 expects the incident response plan to be tested; a
plan not exercised in twelve months is an audit finding.  An exercise is one
``exercise.recorded`` event on the global chain (no incident), carrying:

* ``date`` (the day it took place) and ``starts_at`` (that day's midnight in the
  workspace zone at recording, as UTC), so a period ``[from, to)`` of instants
  decides membership without reading today's configuration;
* ``scenario`` (what was exercised), ``facilitator`` and ``participants``
  (person ids of ``config/people.yaml``);
* ``findings``: what the team learned, free text people type, so personal data:
  :func:`redact_expired` removes it ``retention_days`` after the exercise (the
  chain still verifies: the salted hash of the text is kept, see
  :mod:`bot.audit.digest`);
* ``drill``: for ``run.py drill``, which playbook and story ran and its outcome.

The chain is the record: the listing and the report read the events, so an
exercise cannot be edited or removed unnoticed.  An event written by hand in a
shape the bot never writes (:mod:`bot.audit.malformed`) is named and left out,
and the listing and the report say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from difflib import get_close_matches
from typing import Any, Iterable

from sqlmodel import Session, select

from bot.audit.trail import REDACTED, append_event
from bot.clock import ensure_utc

KIND = "exercise.recorded"
MAX_SCENARIO, MAX_FINDINGS, MAX_PARTICIPANTS = 500, 4000, 200
FINDINGS_PATH = "/data/findings"


@dataclass(frozen=True)
class ExerciseView:
    id: int  # the event's sequence number on the global chain: EX-<id>
    date: str  # ISO day
    starts_at: datetime  # the day's midnight in the workspace zone, UTC
    scenario: str
    facilitator: str | None  # person id
    participants: tuple[str, ...]  # person ids
    findings: str
    recorded_by: str
    recorded_at: datetime
    drill: dict[str, Any] | None = None
    redacted: bool = False

    @property
    def label(self) -> str:
        return f"EX-{self.id}"


@dataclass(frozen=True)
class ExerciseOutcome:
    exercise: ExerciseView
    message: str
    replayed: bool = False


@dataclass(frozen=True)
class Entry:
    """What a person (or the drill) says about an exercise, before it is checked."""

    day: date
    scenario: str
    participants: tuple[str, ...] = ()
    findings: str = ""
    facilitator: str | None = None
    drill: dict[str, Any] | None = field(default=None)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f'expected the exercise date as YYYY-MM-DD (e.g. 2027-03-10), got "{text}"') from None


def _person(known: set[str], who: str, what: str) -> str:
    if who in known:
        return who
    close = get_close_matches(who, sorted(known), n=3)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    raise ValueError(f'unknown {what} "{who}": {hint}use a person id of config/people.yaml '
                     "(`python -m bot oncall` lists who is on which rota), or add them there first")


def checked(entry: Entry, *, people: set[str], today: date) -> Entry:
    """The entry with its text trimmed, or ValueError saying what is wrong and how to fix it."""
    scenario = " ".join((entry.scenario or "").split())
    if not scenario:
        raise ValueError('expected the scenario that was exercised, e.g. --scenario "ransomware on the billing '
                         'database, tabletop", got nothing')
    if len(scenario) > MAX_SCENARIO:
        raise ValueError(f"expected a scenario of at most {MAX_SCENARIO} characters, got {len(scenario)}; shorten it "
                         "and put the details in --findings")
    findings = (entry.findings or "").strip()
    if len(findings) > MAX_FINDINGS:
        raise ValueError(f"expected findings of at most {MAX_FINDINGS} characters, got {len(findings)}; link to the "
                         "full write-up instead")
    if entry.day > today:
        raise ValueError(f"the exercise date {entry.day.isoformat()} is in the future (today is {today.isoformat()}); "
                         "record an exercise once it has taken place")
    participants: list[str] = []
    for who in entry.participants:
        who = who.strip()
        if who and who not in participants:
            participants.append(_person(people, who, "participant"))
    if len(participants) > MAX_PARTICIPANTS:
        raise ValueError(f"expected at most {MAX_PARTICIPANTS} participants, got {len(participants)}")
    facilitator = _person(people, entry.facilitator.strip(), "facilitator") if entry.facilitator else None
    return Entry(entry.day, scenario, tuple(participants), findings, facilitator, entry.drill)


def record(session: Session, entry: Entry, *, starts_at: datetime, actor: str, now: datetime) -> ExerciseView:
    """Append the (checked) exercise to the global chain in the caller's unit of work."""
    data = {"date": entry.day.isoformat(), "starts_at": ensure_utc(starts_at).isoformat(), "scenario": entry.scenario,
            "facilitator": entry.facilitator, "participants": list(entry.participants), "findings": entry.findings,
            "drill": entry.drill}
    event = append_event(session, incident_id=None, actor=actor, kind=KIND, at=now,
                         summary=f"exercise on {entry.day.isoformat()}: {entry.scenario}", data=data)
    return view(event)


def view(event: Any) -> ExerciseView:
    data = event.data or {}
    return ExerciseView(id=event.seq, date=data.get("date", ""), starts_at=ensure_utc(datetime.fromisoformat(data["starts_at"])),
                        scenario=data.get("scenario") or "", facilitator=data.get("facilitator"),
                        participants=tuple(data.get("participants") or ()), findings=data.get("findings") or "",
                        recorded_by=event.actor, recorded_at=ensure_utc(event.at), drill=data.get("drill"),
                        redacted=bool(event.redacted))


def _recorded(session: Session) -> list[Any]:
    from bot.audit.tables import TimelineEvent

    return list(session.exec(select(TimelineEvent).where(TimelineEvent.chain == "global", TimelineEvent.kind == KIND)
                             .order_by(TimelineEvent.seq)).all())  # type: ignore[arg-type]


def listing(session: Session, start: datetime | None = None, end: datetime | None = None, *,
            skipped: list[str]) -> list[ExerciseView]:
    """Exercises whose day starts in ``[start, end)`` (either bound may be open), oldest first.  An event the bot
    could not have written is left out and named in ``skipped`` (:func:`bot.audit.malformed.malformed_events`),
    which the caller must say: the list is shorter than the chain."""
    from bot.audit.malformed import malformed_events

    found = []
    for event in _recorded(session):
        if (problem := malformed_events([event])):
            skipped.extend(problem)
        else:
            found.append(view(event))
    if start is not None:
        found = [x for x in found if x.starts_at >= ensure_utc(start)]
    if end is not None:
        found = [x for x in found if x.starts_at < ensure_utc(end)]
    return sorted(found, key=lambda x: (x.starts_at, x.id))


def year_before(end: datetime) -> datetime:
    """The same day and time twelve months earlier (29 February falls back to the 28th)."""
    end = ensure_utc(end)
    try:
        return end.replace(year=end.year - 1)
    except ValueError:
        return end.replace(year=end.year - 1, day=28)


def latest_within_year(exercises: Iterable[ExerciseView], end: datetime) -> ExerciseView | None:
    """The newest exercise in the twelve months before ``end`` (``[end - 12 months, end)``), if any."""
    since, end = year_before(end), ensure_utc(end)
    inside = [x for x in exercises if since <= x.starts_at < end]
    return max(inside, key=lambda x: (x.starts_at, x.id), default=None)


def redact_expired(session: Session, *, retention_days: int, now: datetime, actor: str,
                   dry_run: bool = False, skipped: list[str] | None = None) -> list[int]:
    """Redact the findings of exercises older than ``retention_days`` (once); the chain keeps each text's salted
    hash so it still verifies, and the purge is an ``audit.purged`` event on the global chain. Returns the
    redacted events' sequence numbers.  An event the bot could not have written is left as it is and named in
    ``skipped`` (:func:`bot.audit.malformed.malformed_events`)."""
    from bot.audit.digest import redact
    from bot.audit.malformed import malformed_events

    cutoff = ensure_utc(now) - timedelta(days=retention_days)
    seqs: list[int] = []
    for ev in _recorded(session):
        if (problem := malformed_events([ev])):
            (skipped if skipped is not None else []).extend(problem)
            continue
        data = dict(ev.data or {})
        if ensure_utc(datetime.fromisoformat(data["starts_at"])) >= cutoff or not data.get("findings") \
                or data["findings"] == REDACTED:
            continue
        marks = dict(ev.redaction or {})
        data["findings"] = redact(data["findings"], FINDINGS_PATH, ev.chain, ev.seq,
                                  lambda _p, t: REDACTED if t else None, marks)
        seqs.append(ev.seq)
        if not dry_run:
            ev.data, ev.redaction, ev.redacted = data, marks, True
            session.add(ev)
    if seqs and not dry_run:
        session.flush()
        append_event(session, incident_id=None, actor=actor, kind="audit.purged", at=now,
                     summary=f"exercise findings redacted {retention_days} days after the exercise",
                     data={"redacted_seqs": seqs, "retention_days": retention_days})
    return seqs
