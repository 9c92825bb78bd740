"""A drill step: after the incident, the team learns from it.

Halfway to the resolution the commander marks the impact mitigated.  Once the
incident is closed the commander proposes two follow-up actions with cost,
impact and likelihood; a product owner (someone allowed ``risk_owner`` in
``config/permissions.yaml``, never the proposer) defers the costlier one with
a reason; the review owner drafts the post-incident review from the verified
timeline (posted to the channel and written to ``var/drill/``); and the drill
prints one metrics line for the incident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TextIO

from bot.drill.running import RunningDrill
from bot.incidents.errors import IncidentError
from bot.learning.followups import Proposal
from bot.learning.service import LearningService

FOLLOW_UPS = (
    ("Alert on the first symptom we saw, with a runbook link", "2 days of one engineer", "likely", "moderate", 14,
     "the next occurrence is again noticed by customers first"),
    ("Rebuild the affected service in a second region", "6 weeks of two engineers, about EUR 40k a year",
     "unlikely", "severe", 60, "a regional outage stops the service for hours"),
)
DEFER_FOR = timedelta(days=120)
DEFER_REASON = "the budget for a second region is decided in next quarter's planning"


@dataclass
class LearningStory:
    drill: RunningDrill
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        w = self.drill.world
        self.service = LearningService(w.store, lambda: self.drill.config, w.clock)

    def start(self, resolve_after: timedelta) -> None:
        self.drill.agenda.add(self.drill.world.clock.now() + resolve_after / 2,
                              "the commander marks the impact mitigated", self._mitigate)

    def _commander(self) -> str:
        return self.drill.holders.get("commander", self.drill.actor)

    def _mitigate(self) -> None:
        if self.drill.world.incidents.get(self.drill.number).status == "active":
            self.drill._deliver(self.service.mark_mitigated(self.drill.number, actor=self._commander(),
                                                            key="drill:mitigated", note="the impact stopped growing"))

    def _risk_owner(self, proposer: str) -> str | None:
        from bot.incidents.permissions import Subject, may

        people = sorted(self.drill.config.one("people").people, key=lambda p: p.id)
        return next((p.slack for p in people if p.slack and p.slack != proposer
                     and may(self.drill.config, "risk_owner", p.slack, Subject(reporter=proposer))), None)

    def finish(self) -> None:
        """After the close: follow-ups, one deferred by a product owner, the review draft, the metrics line."""
        d, w = self.drill, self.drill.world
        proposer, today = self._commander(), w.clock.now().date()
        try:
            added = []
            for i, (title, cost, likelihood, level, days, impact) in enumerate(FOLLOW_UPS):
                added.append(d._deliver(self.service.add_followup(d.number, Proposal(
                    title=title, owner=proposer, due=today + timedelta(days=days), cost=cost, impact=impact,
                    likelihood=likelihood, impact_level=level), actor=proposer, key=f"drill:followup:{i}")).followup)
            owner = self._risk_owner(proposer)
            if owner is None:
                self.lines.append("  nobody may defer a follow-up (risk_owner in config/permissions.yaml is empty)")
            else:
                until = today + DEFER_FOR
                d._deliver(self.service.defer_followup(added[1].id, until, DEFER_REASON, actor=owner,
                                                       key="drill:defer"))
            for view in self.service.followups_of(d.number):
                decided = (f"; deferred until {view.deferred_until} by {w.person_of(view.decided_by or '')}: "
                           f"{view.decision_reason}" if view.state == "deferred" else "")
                self.lines.append(f"  {view.label} [{view.state}] risk {view.risk_score}/25, cost {view.cost}, "
                                  f"proposed by {w.person_of(view.proposed_by)}: {view.title}{decided}")
            self._draft()
        except IncidentError as exc:  # e.g. an organisation's permissions refuse the drill's people: say so
            self.lines.append(f"  not completed: {exc}")
        self._metrics()

    def _draft(self) -> None:
        d = self.drill
        review = self.service.review(d.number)
        if review is None:
            self.lines.append("  review: none required by this playbook")
            return
        drafted = d._deliver(self.service.draft_review(d.number, actor=review.owner, key="drill:review"))
        path = Path("var") / "drill" / f"INC-{d.number}-review.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(drafted.markdown, encoding="utf-8")
        self.lines.append(f"  review draft {drafted.review.drafts} (due {review.due_day}, owner "
                          f"{d.world.person_of(review.owner)}), posted to the channel: {path}")

    def _metrics(self) -> None:
        from bot.learning.metrics import compute
        from bot.learning.metrics_report import one_line

        w = self.drill.world
        declared = w.incidents.get(self.drill.number).declared_at
        now = w.clock.now()
        with w.store.session() as s:
            metrics = compute(s, self.drill.config, declared - timedelta(days=1), now + timedelta(seconds=1), now)
        self.lines.append(f"  metrics: {one_line(metrics)}")

    def print_summary(self, file: TextIO) -> None:
        print("\nAfter the incident\n------------------", file=file)
        for line in self.lines:
            print(line, file=file)


