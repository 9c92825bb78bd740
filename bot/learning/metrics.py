"""Incident metrics for a period, computed from the chain and the evidence tables.

The period is ``[start, end)``.  What each figure counts:

* **incidents per severity**: incidents declared in the period (their current severity);
* **MTTA** (mean time to acknowledge): over those incidents with an acknowledged
  milestone, the mean of acknowledged - detected; **MTTR** (mean time to resolve):
  over those resolved, the mean of resolved - detected (milestones from the chain,
  :mod:`bot.learning.milestones`, so a corrected detection time counts);
* **pages per person**: pages sent in the period, and how many of them outside the
  person's working hours (``config/people.yaml``; a person without hours counts as
  in hours: nothing says otherwise);
* **exceptions used**: labor-law exceptions used in the period;
* **deadlines**: legal duties of the incidents of the period, by outcome as of the end
  of the period (or now, if earlier): met, missed, overdue (still open past the due
  time), open, not required (decided, with the reason); a duty whose clock has not
  started (no due time: a fact is still unknown) cannot be met or missed yet, and
  regimes that do not apply and informational entries are no duties: not counted;
* **reviews**: reviews of those incidents: on time, late, overdue (not done, due
  time passed), due (not done, not yet due);
* **follow-ups overdue**: follow-ups of those incidents still open, in progress or
  deferred whose due day (the deferral's end while deferred) is before the as-of day.

No chat library; the CLI and the Prometheus endpoint format it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import fmean
from typing import Any

from sqlmodel import Session, select

from bot.clock import ensure_utc


@dataclass
class SeverityFigures:
    incidents: int = 0
    acknowledged: int = 0  # incidents with an acknowledged milestone (MTTA is over these)
    resolved: int = 0  # incidents with a resolved milestone (MTTR is over these)
    mtta_seconds: float | None = None
    mttr_seconds: float | None = None


@dataclass
class PersonPages:
    person: str
    pages: int = 0
    out_of_hours: int = 0


@dataclass
class Metrics:
    start: datetime
    end: datetime
    as_of: datetime
    severities: dict[str, SeverityFigures] = field(default_factory=dict)
    pages: list[PersonPages] = field(default_factory=list)
    exceptions_used: int = 0
    deadlines: dict[str, int] = field(default_factory=dict)
    reviews: dict[str, int] = field(default_factory=dict)
    followups_overdue: int = 0
    followups_total: int = 0

    @property
    def incidents(self) -> int:
        return sum(s.incidents for s in self.severities.values())

    @property
    def pages_total(self) -> int:
        return sum(p.pages for p in self.pages)

    @property
    def pages_out_of_hours(self) -> int:
        return sum(p.out_of_hours for p in self.pages)


DEADLINE_OUTCOMES = ("met", "missed", "overdue", "open", "not_required")
REVIEW_OUTCOMES = ("on_time", "late", "overdue", "due")


def _mean(values: list[timedelta]) -> float | None:
    return fmean(v.total_seconds() for v in values) if values else None


def _out_of_hours(config: Any, person: str, at: datetime) -> bool:
    from bot.oncall.directory import person_working_now

    try:
        return not person_working_now(config, person, at)
    except (KeyError, ValueError):  # not in the people file: no hours to be outside of
        return False


def compute(session: Session, config: Any, start: datetime, end: datetime, now: datetime) -> Metrics:
    from bot.audit.pack_sections import obligation_outcome
    from bot.audit.trail import events
    from bot.deadlines.tables import Obligation
    from bot.incidents.tables import Incident
    from bot.learning.followups import ACTIVE, effective_due
    from bot.learning.milestones import from_events
    from bot.learning.tables import FollowUp, IncidentReview
    from bot.oncall.tables import ExceptionUse, Page

    start, end = ensure_utc(start), ensure_utc(end)
    if end <= start:
        raise ValueError(f"expected --to after --from, got {start.isoformat()} .. {end.isoformat()}")
    out = Metrics(start=start, end=end, as_of=min(end, ensure_utc(now)))
    incidents = session.exec(select(Incident).where(Incident.declared_at >= start, Incident.declared_at < end)
                             .order_by(Incident.number)).all()  # type: ignore[arg-type]
    acks: dict[str, list[timedelta]] = defaultdict(list)
    fixes: dict[str, list[timedelta]] = defaultdict(list)
    for incident in incidents:
        figures = out.severities.setdefault(incident.severity, SeverityFigures())
        figures.incidents += 1
        found = from_events(events(session, incident.id))
        detected = found.get("detected")
        if detected is not None and "acknowledged" in found:
            acks[incident.severity].append(found["acknowledged"].at - detected.at)
        if detected is not None and "resolved" in found:
            fixes[incident.severity].append(found["resolved"].at - detected.at)
    for severity, figures in out.severities.items():
        figures.acknowledged, figures.resolved = len(acks[severity]), len(fixes[severity])
        figures.mtta_seconds, figures.mttr_seconds = _mean(acks[severity]), _mean(fixes[severity])
    ids = [i.id for i in incidents]

    per_person: dict[str, PersonPages] = {}
    for page in session.exec(select(Page).where(Page.sent_at >= start, Page.sent_at < end)).all():  # type: ignore[operator]
        entry = per_person.setdefault(page.person_id, PersonPages(page.person_id))
        entry.pages += 1
        entry.out_of_hours += _out_of_hours(config, page.person_id, ensure_utc(page.sent_at))
    out.pages = sorted(per_person.values(), key=lambda p: (-p.pages, p.person))
    out.exceptions_used = len(session.exec(select(ExceptionUse.id).where(ExceptionUse.at >= start,
                                                                         ExceptionUse.at < end)).all())
    deadlines: Counter[str] = Counter({k: 0 for k in DEADLINE_OUTCOMES})
    reviews: Counter[str] = Counter({k: 0 for k in REVIEW_OUTCOMES})
    if ids:
        for row in session.exec(select(Obligation).where(Obligation.incident_id.in_(ids))).all():  # type: ignore[attr-defined]
            outcome = obligation_outcome(row, out.as_of)
            if outcome in DEADLINE_OUTCOMES:  # no clock yet, not applicable, informational
                deadlines[outcome] += 1
        for review in session.exec(select(IncidentReview).where(IncidentReview.incident_id.in_(ids))).all():  # type: ignore[attr-defined]
            due = ensure_utc(review.due_at)
            if review.completed_at is not None and ensure_utc(review.completed_at) <= out.as_of:
                reviews["on_time" if ensure_utc(review.completed_at) <= due else "late"] += 1
            else:
                reviews["overdue" if out.as_of > due else "due"] += 1
        from bot.learning.followups import at_day

        for followup in session.exec(select(FollowUp).where(FollowUp.incident_id.in_(ids))).all():  # type: ignore[attr-defined]
            out.followups_total += 1
            if followup.state in ACTIVE and effective_due(followup) < at_day(out.as_of, followup.zone):
                out.followups_overdue += 1
    out.deadlines, out.reviews = dict(deadlines), dict(reviews)
    return out
