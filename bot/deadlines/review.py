"""Keeping up with the law: the catalog's status at a glance, and what needs re-checking.

``catalog_listing`` is what ``incident-bot deadlines catalog`` prints: every regime with its status on a
given day (a ``not_yet_effective`` regime whose date has come is shown as in force), effective dates, the
confidence of its weakest obligation, verification status and ``last_checked``, and the playbooks that
consider it.  ``review_issues`` are the warnings ``bot check`` adds: a regime in use not checked for longer
than the organisation's review period (``config/organisation.yaml``: ``law_review: {max_age: 180d}``), and a
regime whose status no longer matches its dates (commencement passed, end passed, proposed date passed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from pydantic import Field

from bot.config.errors import ConfigIssue
from bot.config.types import ConfigModel, Duration

CONFIDENCE_ORDER = ("unverified", "secondary", "verified")
DEFAULT_MAX_AGE = timedelta(days=180)


class LawReview(ConfigModel):
    max_age: Duration = Field(default=DEFAULT_MAX_AGE, description="warn when a regime in use was last checked "
                                                                   "longer ago than this, e.g. 180d")


@dataclass(frozen=True)
class RegimeStatusRow:
    regime: str
    name: str
    jurisdiction: str
    status: str  # as written in the file
    status_today: str  # in_force | proposed | not_yet_effective | repealed, on the given day
    effective_from: date | None
    effective_until: date | None
    confidence: str  # the weakest obligation's
    confidence_counts: dict[str, int]
    verification: str
    last_checked: date
    used_by: tuple[str, ...]  # playbooks that consider it
    obligations: int

    def to_json(self) -> dict[str, Any]:
        return {"regime": self.regime, "name": self.name, "jurisdiction": self.jurisdiction, "status": self.status,
                "status_today": self.status_today,
                "effective_from": self.effective_from.isoformat() if self.effective_from else None,
                "effective_until": self.effective_until.isoformat() if self.effective_until else None,
                "confidence": self.confidence, "confidence_counts": self.confidence_counts,
                "verification": self.verification, "last_checked": self.last_checked.isoformat(),
                "used_by": list(self.used_by), "obligations": self.obligations}


def status_on(regime: Any, today: date) -> str:
    """The regime's status on ``today``: the written one, except that dates that have passed decide."""
    if regime.status in ("proposed", "repealed"):
        return regime.status
    if regime.effective_until is not None and today > regime.effective_until:
        return "repealed"
    if regime.effective_from is not None and today < regime.effective_from:
        return "not_yet_effective"
    return "in_force"


def users(config: Any) -> dict[str, list[str]]:
    """Regime id -> the playbooks whose ``regulations.consider`` names it."""
    out: dict[str, list[str]] = {}
    for pb in config.all("playbook"):
        for regime in pb.regulations.consider:
            out.setdefault(regime, []).append(pb.id)
    return out


def catalog_listing(config: Any, today: date) -> list[RegimeStatusRow]:
    used = users(config)
    rows = []
    by_id = {r.id: r for r in config.all("regulation")}  # as bot.deadlines.catalog.regimes, which builds on this module
    for regime in sorted(by_id.values(), key=lambda r: r.id):
        counts = {c: sum(1 for o in regime.obligations if o.confidence == c) for c in CONFIDENCE_ORDER}
        weakest = next(c for c in CONFIDENCE_ORDER if counts[c]) if regime.obligations else "unverified"
        rows.append(RegimeStatusRow(regime.id, regime.name, regime.jurisdiction, regime.status,
                                    status_on(regime, today), regime.effective_from, regime.effective_until, weakest,
                                    counts, regime.verification.status, regime.verification.last_checked,
                                    tuple(used.get(regime.id, ())), len(regime.obligations)))
    return rows


def max_age(config: Any) -> timedelta:
    org = config.one("organisation") if config is not None else None
    review = getattr(org, "law_review", None)
    return review.max_age if review is not None else DEFAULT_MAX_AGE


def review_issues(config: Any, today: date) -> list[ConfigIssue]:
    """Warnings: regimes in use not checked within the review period, and statuses their dates contradict."""
    issues: list[ConfigIssue] = []
    used = users(config)
    limit = max_age(config)
    for lf in config.loaded("regulation"):
        regime = lf.model
        checked = regime.verification.last_checked
        if regime.id in used and today - checked > limit:
            issues.append(lf.issue(("verification", "last_checked"),
                                   f"regime {regime.id} (used by {', '.join(used[regime.id])}) was last checked on "
                                   f"{checked.isoformat()}, {(today - checked).days} days ago (review period "
                                   f"{limit.days} days): re-check the sources, then update last_checked", "warning"))
        begins, ends = regime.effective_from, regime.effective_until
        if regime.status == "not_yet_effective" and begins is not None and begins <= today:
            issues.append(lf.issue(("status",), f"regime {regime.id} applies since {begins.isoformat()}: it is "
                                                "treated as in force; check the text and set status: in_force",
                                   "warning"))
        elif regime.status == "proposed" and begins is not None and begins <= today:
            issues.append(lf.issue(("status",), f"regime {regime.id} is proposed with an expected date "
                                                f"{begins.isoformat()} that has passed: check whether it was adopted "
                                                "(it stays informational until status says in_force)", "warning"))
        if regime.status != "repealed" and ends is not None and ends < today:
            issues.append(lf.issue(("effective_until",), f"regime {regime.id} ceased to apply after "
                                                         f"{ends.isoformat()}: set status: repealed", "warning"))
    return issues
