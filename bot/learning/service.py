"""``LearningService``: milestones, the post-incident review and follow-up actions.

The same conventions as :class:`bot.incidents.service.IncidentService`:
``actor`` is the Slack user acting (permissions are checked first), ``key`` is
the caller's idempotency key, every change and its chain events commit in one
unit of work, and messages come back as :class:`~bot.incidents.views.Post`
items (or, for reviews, reminder rows the scheduler delivers).  No chat library.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any, Callable

from bot.audit.trail import events
from bot.clock import Clock
from bot.config.loader import Config
from bot.incidents.context import Context
from bot.incidents.records import load
from bot.incidents.views import Outcome
from bot.learning import followups, marking, reviews
from bot.learning.exercises import Entry, ExerciseOutcome, ExerciseView
from bot.learning.followups import Proposal
from bot.learning.milestones import from_events
from bot.learning.views import DraftOutcome, FollowUpOutcome, FollowUpView, MilestoneView, ReviewView
from bot.store.database import Store


class LearningService:
    def __init__(self, store: Store, config: Callable[[], Config], clock: Clock, *,
                 members: Callable[[str, str], bool] | None = None) -> None:
        """``members(channel, user)`` asks the chat whether a user is in a channel (channel members may act)."""
        self.ctx = Context(store=store, config=config, clock=clock, members=members)

    @classmethod
    def on(cls, ctx: Context) -> "LearningService":
        """The service on an existing context (e.g. one that answers a Slack user through the outbox)."""
        service = cls.__new__(cls)
        service.ctx = ctx
        return service

    def incident_of_review(self, review_id: int) -> int:
        from bot.learning.tables import IncidentReview

        return self._incident_number_of(IncidentReview, review_id, f"post-incident review {review_id}")

    def incident_of_followup(self, followup_id: int) -> int:
        from bot.learning.tables import FollowUp

        return self._incident_number_of(FollowUp, followup_id, f"follow-up F-{followup_id}")

    def _incident_number_of(self, model: Any, row_id: int, what: str) -> int:
        from bot.incidents.errors import NotFound
        from bot.incidents.tables import Incident

        with self.ctx.store.session() as s:
            row = s.get(model, row_id)
            incident = s.get(Incident, row.incident_id) if row is not None else None
            if incident is None:
                raise NotFound(f"there is no {what}")
            return incident.number

    # --- milestones ----------------------------------------------------------------------------

    def mark_mitigated(self, number: int, *, actor: str, key: str, at: datetime | None = None,
                       note: str = "") -> Outcome:
        """``/incident mitigated``: the impact stopped growing (now, or at ``at``)."""
        return marking.set_milestone(self.ctx, number, "mitigated", at, actor=actor, key=key, reason=note)

    def set_milestone(self, number: int, name: str, at: datetime, *, actor: str, key: str, reason: str) -> Outcome:
        """Set or correct detected / acknowledged / mitigated / resolved; a correction needs a reason."""
        return marking.set_milestone(self.ctx, number, name, at, actor=actor, key=key, reason=reason)

    def milestones(self, number: int) -> list[MilestoneView]:
        with self.ctx.store.session() as s:
            incident = load(s, number, lock=False)
            found = from_events(events(s, incident.id))
        return [MilestoneView(m.name, m.at, m.source) for m in found.values()]

    # --- the review ----------------------------------------------------------------------------

    def review(self, number: int) -> ReviewView | None:
        with self.ctx.store.session() as s:
            incident = load(s, number, lock=False)
            row = reviews.review_of(s, incident.id)
            return reviews.review_view(row, number) if row is not None else None

    def draft_review(self, number: int, *, actor: str, key: str) -> DraftOutcome:
        """Draft the review in Markdown from the verified timeline; it is posted to the incident channel."""
        return reviews.draft(self.ctx, number, actor=actor, key=key)

    def complete_review(self, number: int, *, actor: str, key: str, link: str = "") -> Outcome:
        """The review is done (``link``: where the final document lives); the owner's nudges stop."""
        return reviews.complete(self.ctx, number, actor=actor, key=key, link=link)

    # --- follow-up actions ---------------------------------------------------------------------

    def add_followup(self, number: int, proposal: Proposal, *, actor: str, key: str) -> FollowUpOutcome:
        return followups.add(self.ctx, number, proposal, actor=actor, key=key)

    def start_followup(self, followup_id: int, *, actor: str, key: str) -> FollowUpOutcome:
        return followups.change(self.ctx, followup_id, "start", actor=actor, key=key)

    def finish_followup(self, followup_id: int, *, actor: str, key: str) -> FollowUpOutcome:
        return followups.change(self.ctx, followup_id, "done", actor=actor, key=key)

    def defer_followup(self, followup_id: int, until: date, reason: str, *, actor: str, key: str) -> FollowUpOutcome:
        """A risk owner (never the proposer) defers it until ``until``, with the reason."""
        return followups.change(self.ctx, followup_id, "defer", actor=actor, key=key, reason=reason, until=until)

    def accept_risk(self, followup_id: int, reason: str, *, actor: str, key: str) -> FollowUpOutcome:
        """A risk owner (never the proposer) accepts the risk instead of doing it, with the reason."""
        return followups.change(self.ctx, followup_id, "accept", actor=actor, key=key, reason=reason)

    def reopen_followup(self, followup_id: int, reason: str, *, actor: str, key: str) -> FollowUpOutcome:
        return followups.change(self.ctx, followup_id, "reopen", actor=actor, key=key, reason=reason)

    def followups(self, *, open_only: bool = False) -> list[FollowUpView]:
        """Every follow-up across incidents, highest risk score first."""
        with self.ctx.store.session() as s:
            return followups.listing(s, open_only=open_only)

    def followups_of(self, number: int) -> list[FollowUpView]:
        with self.ctx.store.session() as s:
            incident = load(s, number, lock=False)
            return followups.of_incident(s, incident.id, number)

    # --- tabletop exercises and drills -----------------------------------------------------------

    def record_exercise(self, entry: Entry, *, actor: str, key: str, system: bool = False) -> ExerciseOutcome:
        """Record an exercise on the global chain (``record_exercise`` permission); refused with the reason when
        the date is in the future or a participant is not in config/people.yaml. ``system``: the bot records a
        run of its own (``run.py drill``), no person acts, so no permission is asked; never set from a request."""
        from bot.incidents.errors import InvalidRequest
        from bot.incidents.idempotency import run_once
        from bot.incidents.permissions import Subject, authorize
        from bot.learning import exercises
        from bot.oncall.directory import person_ids
        from bot.oncall.wallclock import local_date, local_to_utc

        def work(session: Any) -> ExerciseOutcome:
            config, now = self.ctx.config(), self.ctx.now()
            if not system:
                authorize(config, "record_exercise", actor, Subject())
            zone = config.settings.timezone
            people = set(person_ids(config)) if config.loaded("people") else set()
            try:
                clean = exercises.checked(entry, people=people, today=local_date(now, zone))
            except ValueError as exc:
                raise InvalidRequest(str(exc)) from None
            recorded = exercises.record(session, clean, starts_at=local_to_utc(clean.day, time(0, 0), zone),
                                        actor=actor, now=now)
            return ExerciseOutcome(recorded, f"{recorded.label} recorded on the audit chain: {recorded.date}, "
                                             f"{recorded.scenario}")

        return run_once(self.ctx, key, "record_exercise", ExerciseOutcome, work)

    def exercises(self, start: datetime | None = None, end: datetime | None = None,
                  skipped: list[str] | None = None) -> list[ExerciseView]:
        """Recorded exercises whose day starts in ``[start, end)``, oldest first; an event the bot could not have
        written is left out and named in ``skipped`` (:func:`bot.learning.exercises.listing`)."""
        from bot.learning.exercises import listing

        with self.ctx.store.session() as s:
            return listing(s, start, end, skipped=skipped if skipped is not None else [])
