"""What the store knows about people that the configuration does not, as the labor rules need it.

Call-outs from pages and work recorded afterwards (engagements), the
compensatory rest scheduled in the rest ledger, and the covers accepted in
chat (overrides stored in the database).  :class:`EngagementHistory`
is pure data, so the planner stays a pure function; :func:`load_history`
builds it from the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterable

from bot.clock import ensure_utc

LOOKBACK = timedelta(days=8)  # longest window any page-time rule looks back


@dataclass(frozen=True)
class Engagement:
    start: datetime
    end: datetime | None  # None: still working on it
    kind: str = "callout"
    incident_id: int | None = None


@dataclass(frozen=True)
class ScheduledRest:
    """Rest from the ledger, scheduled for a span: the person is not paged in it."""

    start: datetime
    end: datetime
    debt_id: int
    kind: str
    citation: str


@dataclass
class EngagementHistory:
    by_person: dict[str, tuple[Engagement, ...]] = field(default_factory=dict)
    rest: dict[str, tuple[ScheduledRest, ...]] = field(default_factory=dict)
    overrides: tuple = ()  # covers accepted in chat (ResolvedOverride), on top of rotas.yaml's overrides

    def scheduled_rest_at(self, person: str, at: datetime) -> ScheduledRest | None:
        return next((r for r in self.rest.get(person, ()) if r.start <= at < r.end), None)

    @classmethod
    def of(cls, items: Iterable[tuple[str, datetime, datetime | None]]) -> "EngagementHistory":
        """Build from (person, start, end) triples; handy for tests and the drill."""
        grouped: dict[str, list[Engagement]] = {}
        for person, start, end in items:
            grouped.setdefault(person, []).append(Engagement(ensure_utc(start), ensure_utc(end) if end else None))
        return cls({p: tuple(sorted(e, key=lambda x: x.start)) for p, e in grouped.items()})

    def engagements(self, person: str, *, before: datetime | None = None) -> tuple[Engagement, ...]:
        items = self.by_person.get(person, ())
        if before is None:
            return items
        return tuple(e for e in items if e.start < before)

    def last_ended(self, person: str, before: datetime) -> Engagement | None:
        ended = [e for e in self.engagements(person, before=before) if e.end is not None and e.end <= before]
        return max(ended, key=lambda e: e.end) if ended else None

    def engaged_at(self, person: str, at: datetime) -> bool:
        return any(e.start <= at and (e.end is None or at < e.end) for e in self.engagements(person))


def load_history(session, person_ids, until: datetime) -> EngagementHistory:
    """Engagements of ``person_ids`` overlapping the look-back window before ``until``."""
    from sqlmodel import or_, select

    from bot.oncall.tables import Engagement as EngagementRow

    until = ensure_utc(until)
    ids = list(person_ids)
    if not ids:
        return EngagementHistory()
    from bot.oncall.tables import RestDebt

    rows = session.exec(select(EngagementRow).where(
        EngagementRow.person_id.in_(ids),  # type: ignore[attr-defined]
        EngagementRow.start < until,
        or_(EngagementRow.end.is_(None), EngagementRow.end > until - LOOKBACK),  # type: ignore[union-attr]
    )).all()
    grouped: dict[str, list[Engagement]] = {}
    for row in rows:
        grouped.setdefault(row.person_id, []).append(Engagement(row.start, row.end, row.kind, row.incident_id))
    debts = session.exec(select(RestDebt).where(
        RestDebt.person_id.in_(ids), RestDebt.scheduled_end.is_not(None),  # type: ignore[attr-defined, union-attr]
        RestDebt.scheduled_end > until - LOOKBACK)).all()  # type: ignore[operator]
    rest: dict[str, list[ScheduledRest]] = {}
    for d in debts:
        rest.setdefault(d.person_id, []).append(ScheduledRest(ensure_utc(d.scheduled_start), ensure_utc(d.scheduled_end),
                                                              d.id, d.kind, d.citation))  # type: ignore[arg-type]
    from bot.oncall.accepted_covers import accepted_overrides

    return EngagementHistory({p: tuple(sorted(e, key=lambda x: x.start)) for p, e in grouped.items()},
                             {p: tuple(sorted(r, key=lambda x: x.start)) for p, r in rest.items()},
                             accepted_overrides(session))
