"""``IncidentService``: the one entry point of the incident lifecycle.

The Slack adapter, the CLI and the drill call this facade; the work is done in
small modules beside it (``declare``, ``escalation``, ``roles``, ``status``,
``triggers``, ``checklist``, ``responses``, ``closing``, ``queries``).

Conventions of every mutating operation:

* ``actor`` is the Slack user id of the person acting; permissions
  (``config/permissions.yaml``) are checked first and a denial raises
  :class:`~bot.incidents.errors.PermissionDenied` saying why and who can.
* ``key`` is an idempotency key chosen by the caller from stable request data
  (e.g. Slack ``trigger_id``).  A replay with the same key returns the stored
  first result (``replayed=True``) and changes nothing.
* One unit of work: the change, its timeline events (hash chain), pages,
  obligations and reminder rows commit together or not at all.
* Nothing is sent to Slack from here.  Everything to do there (the channel,
  posts, invites, pages, reminders, the answer to the person) is written to
  the outbox in the same unit of work (:mod:`bot.incidents.effects`) and
  delivered by the outbox worker; results still list the ``Post`` items so
  callers can see what will be said.
* Incidents are addressed by their people-facing ``number`` (INC-42).
"""

from __future__ import annotations

import copy
import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Any, Callable

from bot.clock import Clock
from bot.config.loader import Config
from bot.incidents import (affected, approvals, checklist, closing, declare, escalation, exception_confirmations,
                           legal_delays, queries, records, responses, roles, statements, status, triggers)
from bot.incidents.context import Context
from bot.incidents.views import (ApprovalView, DeclareResult, EventView, IncidentView, ObligationView, Outcome,
                                 PageView, SeverityOption, TaskView)
from bot.store.database import Store

if TYPE_CHECKING:
    from sqlmodel import Session

    from bot.incidents.tables import Incident


class IncidentService:
    def __init__(self, store: Store, config: Callable[[], Config], clock: Clock, *,
                 members: Callable[[str, str], bool] | None = None) -> None:
        """``config`` is a provider (e.g. ``holder.current``'s getter) so a reload applies to the next call.
        ``members(channel_id, user)`` asks the chat whether a user is in a channel (private-incident access)."""
        self.ctx = Context(store=store, config=config, clock=clock, members=members)

    def replying_to(self, address: dict[str, Any]) -> "IncidentService":
        """The same service, whose operations also answer the person at ``address`` (e.g. Slack's
        ``response_url``, ``user`` and ``channel``): the answer is written with the change and sent
        once its effects are done, or says they are queued."""
        other = copy.copy(self)
        other.ctx = dataclasses.replace(self.ctx, reply_to=dict(address))
        return other

    # --- declaring -----------------------------------------------------------------

    def severities(self) -> list[SeverityOption]:
        """The playbooks a responder can choose from, most severe first, with their criteria."""
        return queries.severities(self.ctx)

    def declare(self, severity: str, title: str, *, actor: str, key: str, reporter: str | None = None,
                description: str = "", facts: dict[str, Any] | None = None,
                private: bool | None = None, systems: list[str] | None = None,
                also: Callable[[Session, Incident], None] | None = None) -> DeclareResult:
        """Declare an incident under the playbook ``severity``.

        Creates the incident with the next sequential number, fills roles (the
        reporter is commander until someone is assigned, unless the playbook says
        otherwise), records page plans for the playbook's targets, computes
        legal obligations for the playbook's regimes, creates checklist rows and
        reminder rows.  Returns the channel to create (name, privacy, topic,
        invitees, welcome notices, bookmarks) and the announcements to post.
        ``private`` overrides the playbook's default only towards *more* privacy. ``systems``: affected system
        ids from config/catalog.yaml; the facts they imply are derived (see ``affects``). ``also(session,
        incident)``: more of the same change, written in the declaration's unit of work.
        """
        return declare.declare(self.ctx, severity, title, actor=actor, key=key, reporter=reporter or actor,
                               description=description, facts=facts or {}, private=private, systems=systems,
                               also=also)

    def record_channel(self, incident_id: int, channel_id: str, name: str, *, key: str,
                       actor: str = "system") -> Outcome:
        """Store the channel the adapter created for the incident (final name after any suffix)."""
        return declare.record_channel(self.ctx, incident_id, channel_id, name, key=key, actor=actor)

    def attach_channel(self, number: int, channel_id: str, name: str, *, actor: str, key: str) -> Outcome:
        """Use a channel made by hand when the bot could not create one (``/incident INC-n channel #name``):
        what waited for a channel (invitations, welcome, topic, pin, bookmarks, posts) goes there."""
        return declare.attach_channel(self.ctx, number, channel_id, name, actor=actor, key=key)

    def record_side_effect_failure(self, incident_id: int, step: str, error: str, *, actor: str = "system",
                                   key: str | None = None) -> Outcome:
        """Put a failed best-effort step (pin, bookmark, invite, announcement) on the timeline."""
        return declare.record_side_effect_failure(self.ctx, incident_id, step, error, actor=actor, key=key)

    # --- changing ----------------------------------------------------------------------

    def change_severity(self, number: int, severity: str, *, actor: str, key: str, reason: str = "") -> Outcome:
        """Move to another playbook. An escalation applies what the new playbook adds (pages,
        notifications, roles, checklist, regimes/obligations); a downgrade never cancels
        obligations already started."""
        return escalation.change_severity(self.ctx, number, severity, actor=actor, key=key, reason=reason)

    def assign_role(self, number: int, role: str, user: str, *, actor: str, key: str) -> Outcome:
        """Give ``role`` to Slack user ``user`` (replacing any holder)."""
        return roles.assign_role(self.ctx, number, role, user, actor=actor, key=key)

    def hand_over_role(self, number: int, role: str, to_user: str, *, actor: str, key: str,
                       note: str = "") -> Outcome:
        """The holder (or a commander/admin) hands ``role`` over with an optional hand-over note."""
        return roles.hand_over_role(self.ctx, number, role, to_user, actor=actor, key=key, note=note)

    def post_status(self, number: int, text: str, *, actor: str, key: str) -> Outcome:
        """A status update: timeline event, post to the incident channel (and the feed unless private);
        restarts the status-update cadence."""
        return status.post_status(self.ctx, number, text, actor=actor, key=key)

    def draft_statement(self, number: int, status: str, text: str, *, actor: str, key: str) -> Outcome:
        """A public statement (status: investigating | identified | monitoring | resolved) by the playbook's external
        owner: published at once, or held until a holder of an ``approval_needed_from`` role (never the drafter)
        approves it (:meth:`approve_request`)."""
        return statements.draft(self.ctx, number, status, text, actor=actor, key=key)

    def published_statements(self) -> list[statements.PublishedStatement]:
        """Every published statement from the chains, oldest first: what the public status page shows."""
        return statements.published(self.ctx)

    def add_note(self, number: int, text: str, *, actor: str, key: str) -> Outcome:
        """A timeline note (no message beyond the timeline)."""
        return status.add_note(self.ctx, number, text, actor=actor, key=key)

    def set_fact(self, number: int, name: str, value: Any, *, actor: str, key: str, reason: str = "") -> Outcome:
        """Record an incident fact the regulations ask about; obligations are recomputed. A change that turns a
        legal duty off needs a reason, and unless the actor may ``remove_legal_duty`` it only creates a request
        a second person approves (:meth:`approve_request`)."""
        return approvals.guarded(self.ctx, lambda: status.set_fact(self.ctx, number, name, value, actor=actor, key=key,
                                                                   reason=reason), actor=actor, key=key, reason=reason)

    def affects(self, number: int, systems: list[str], *, actor: str, key: str, remove: bool = False) -> Outcome:
        """Add (or remove) affected systems from config/catalog.yaml; the facts they imply are derived with
        their reasons (switching duties on, never off) and the obligations recomputed."""
        return affected.affects(self.ctx, number, systems, actor=actor, key=key, remove=remove)

    def systems(self) -> list[Any]:
        """The systems of config/catalog.yaml a responder can name (id, name, criticality), for the declare form."""
        from bot.deadlines.systems import catalog_of

        return list(catalog_of(self.ctx.config()).systems)

    def confirm_facts(self, number: int, names: list[str], *, actor: str, key: str) -> Outcome:
        """A permitted person (legal, DPO) confirms derived facts: they then count like recorded ones. One that turns
        a legal duty off needs ``remove_legal_duty`` too and is recorded as ``obligation.turned_off``."""
        return affected.confirm_facts(self.ctx, number, names, actor=actor, key=key)

    def set_trigger(self, number: int, name: str, at: datetime, *, actor: str, key: str,
                    reason: str = "") -> Outcome:
        """Set a legal clock's start (e.g. ``aware``). Setting it the first time applies at once;
        moving an already set start only creates a pending approval (``Outcome.approval``)."""
        return triggers.set_trigger(self.ctx, number, name, at, actor=actor, key=key, reason=reason)

    def request_trigger_change(self, number: int, name: str, at: datetime, *, actor: str, key: str,
                               reason: str) -> Outcome:
        """Ask to move a set trigger; a second, different permitted person must approve."""
        return triggers.request_trigger_change(self.ctx, number, name, at, actor=actor, key=key, reason=reason)

    # Rows given by number (approval, task, page, obligation): with ``incident`` (the number of the
    # incident the request is about: the channel's, or the INC-n named) a row of another incident is
    # refused with that incident's candidates listed (``bot.incidents.addressing``).  ``None`` only for
    # buttons on a message about that very row.

    def approve_trigger_change(self, approval_id: int, *, actor: str, key: str, incident: int | None = None) -> Outcome:
        """Approve a pending trigger change; the requester cannot approve their own request."""
        return triggers.decide(self.ctx, approval_id, approve=True, actor=actor, key=key, reason="",
                               incident_number=incident)

    def reject_trigger_change(self, approval_id: int, *, actor: str, key: str, reason: str = "",
                              incident: int | None = None) -> Outcome:
        return triggers.decide(self.ctx, approval_id, approve=False, actor=actor, key=key, reason=reason,
                               incident_number=incident)

    def complete_task(self, task_id: int, *, actor: str, key: str, incident: int | None = None) -> Outcome:
        """Tick a checklist task (the owner role's holder, the commander or an admin)."""
        return checklist.complete_task(self.ctx, task_id, actor=actor, key=key, incident_number=incident)

    def acknowledge_page(self, page_id: int, *, actor: str, key: str, incident: int | None = None) -> Outcome:
        """The paged person (or someone permitted) acknowledges; escalation reminders stop."""
        return responses.acknowledge_page(self.ctx, page_id, actor=actor, key=key, incident_number=incident)

    def decline_page(self, page_id: int, reason: str, *, actor: str, key: str, incident: int | None = None) -> Outcome:
        """The paged person cannot take it (reason required); the next level is paged."""
        return responses.decline_page(self.ctx, page_id, reason, actor=actor, key=key, incident_number=incident)

    def mark_notified(self, obligation_id: int, *, actor: str, key: str, reference: str,
                      submitted_at: datetime, evidence_url: str = "", incident: int | None = None,
                      reason: str = "") -> Outcome:
        """Record that an authority/person was notified (reference, submission time, evidence link). A
        submission time before the legal clock started is refused; one earlier than now by more than the
        tolerance needs a reason and only creates a request a second person approves."""
        return approvals.guarded(self.ctx, lambda: responses.mark_notified(
            self.ctx, obligation_id, actor=actor, key=key, reference=reference, submitted_at=submitted_at,
            evidence_url=evidence_url, incident_number=incident, reason=reason), actor=actor, key=key, reason=reason)

    def approve_request(self, approval_id: int, *, actor: str, key: str) -> Outcome:
        """A second person approves a held change (duty-removing fact, backdated notification): it is applied
        now, as its requester asked, in one unit of work with the approval. The requester cannot approve."""
        row, number = approvals.pending_row(self.ctx, approval_id, actor)
        p, grant = row.payload, (approval_id, actor)
        apply_key = f"approval:{approval_id}:{key}"
        if row.action == "set_fact":
            return status.set_fact(self.ctx, number, p["name"], p["value"], actor=row.requested_by, key=apply_key,
                                   reason=row.reason, approval=grant)
        if row.action == "mark_notified":
            return responses.mark_notified(self.ctx, p["obligation_id"], actor=row.requested_by, key=apply_key,
                                           reference=p["reference"], evidence_url=p["evidence_url"],
                                           submitted_at=datetime.fromisoformat(p["submitted_at"]), reason=row.reason,
                                           approval=grant)
        if row.action == statements.ACTION:
            return statements.publish_approved(self.ctx, number, p["statement_id"], approval=grant, key=apply_key)
        raise ValueError(f"unknown approval action {row.action}")

    def confirm_exception(self, exception_use_id: int, justification: str, *, actor: str, key: str) -> Outcome:
        """Confirm a labor-law exception applied at declaration (``declare_exception``), with your own words."""
        return exception_confirmations.confirm(self.ctx, exception_use_id, justification, actor=actor, key=key)

    def exceptions_to_confirm(self, reader: str) -> list[exception_confirmations.ToConfirm]:
        """The unconfirmed exception uses ``reader`` may confirm (allowed, not the one who applied it, not the one
        paged under it)."""
        return exception_confirmations.to_confirm(self.ctx, reader)

    def unconfirmed_exceptions(self) -> list[tuple[int, int, str, str]]:
        """(exception use id, incident number, person, exception) not confirmed by anyone allowed yet."""
        return exception_confirmations.unconfirmed(self.ctx)

    def reject_request(self, approval_id: int, *, actor: str, key: str, note: str = "") -> Outcome:
        return approvals.reject(self.ctx, approval_id, actor=actor, key=key, note=note)

    def mark_not_required(self, obligation_id: int, reason: str, *, actor: str, key: str,
                          incident: int | None = None) -> Outcome:
        """Record that a notification is not required, with the reason (GDPR Art. 33(5) documentation)."""
        return responses.mark_not_required(self.ctx, obligation_id, reason, actor=actor, key=key,
                                           incident_number=incident)

    def snooze_obligation(self, obligation_id: int, until: datetime, *, actor: str, key: str,
                          incident: int | None = None) -> Outcome:
        """Silence an obligation's nudges until ``until``; never past its deadline (a later ``until`` is
        capped at the deadline; an overdue obligation cannot be snoozed)."""
        return responses.snooze_obligation(self.ctx, obligation_id, until, actor=actor, key=key,
                                           incident_number=incident)

    def record_delay(self, obligation_id: int, delay: str, until: datetime, reference: str, *, actor: str,
                     key: str, incident: int | None = None) -> Outcome:
        """Record a delay notice the law allows (e.g. SEC Item 1.05(c)): the due time moves within the law's
        limits (a longer delay is refused with the reason); on the incident's chain. ``incident``: the number
        the request acts on (an obligation of another incident is refused)."""
        return legal_delays.record_delay(self.ctx, obligation_id, delay, until, reference, actor=actor, key=key,
                                         incident_number=incident)

    def resolve(self, number: int, *, actor: str, key: str, summary: str = "") -> Outcome:
        """Impact is over: cadence stops, pages still pending are cancelled; obligations stay."""
        return closing.resolve(self.ctx, number, actor=actor, key=key, summary=summary)

    def close(self, number: int, summary: str, *, actor: str, key: str) -> Outcome:
        """Close with the post-incident summary; posts the audit chain's head hash to the channel, then signs a
        checkpoint of every chain, appends it to the anchor file and, with ``audit_channel`` set, writes its post
        there (when a signing key is configured)."""
        outcome = closing.close(self.ctx, number, summary, actor=actor, key=key)
        from bot.audit.checkpoints import checkpoint_quietly

        config = self.ctx.config()
        checkpoint_quietly(self.ctx.store, self.ctx.clock.now(),  # sign the closed chain (when a key is set)
                           audit_channel=config.settings.audit_channel, config=config)
        return outcome

    # --- looking up (read-only) ---------------------------------------------------------
    # ``reader``: the Slack user asking. A private incident is shown only to ``read_private`` (response team,
    # channel members, admins, auditors); anyone else gets the answer a number that does not exist gets.
    # ``reader=None`` is an in-process caller answering to the operator (CLI, drill, scheduler).

    def may_read(self, number: int, reader: str) -> bool:
        """Whether ``reader`` may see incident ``number``; False as well when it does not exist."""
        return queries.may_read_incident(self.ctx, number, reader)

    def get(self, number: int, *, reader: str | None = None) -> IncidentView:
        return queries.get(self.ctx, number, reader)

    def incident_by_channel(self, channel_id: str, *, reader: str | None = None) -> IncidentView | None:
        return queries.incident_by_channel(self.ctx, channel_id, reader)

    def timeline(self, number: int, *, reader: str | None = None) -> list[EventView]:
        return queries.timeline(self.ctx, number, reader)

    def open_obligations(self, number: int, *, reader: str | None = None) -> list[ObligationView]:
        return queries.open_obligations(self.ctx, number, reader)

    def obligations(self, number: int, *, reader: str | None = None) -> list[ObligationView]:
        return queries.obligations(self.ctx, number, reader)

    def tasks(self, number: int, *, reader: str | None = None) -> list[TaskView]:
        return queries.tasks(self.ctx, number, reader)

    def pages(self, number: int, *, reader: str | None = None) -> list[PageView]:
        return queries.pages(self.ctx, number, reader)

    def pending_approvals(self, number: int, *, reader: str | None = None) -> list[ApprovalView]:
        return queries.pending_approvals(self.ctx, number, reader)

    def approvals_to_decide(self, number: int, *, reader: str) -> list[queries.ApprovalToDecide]:
        """Every pending approval of the incident (clock moves and held changes) with the buttons ``reader``
        may press; a reader who may not decide sees them without buttons."""
        return queries.approvals_to_decide(self.ctx, number, reader)

    def incidents_for_user(self, user: str) -> list[IncidentView]:
        """Open incidents (active or resolved) in which the Slack user holds a role or reported."""
        return queries.incidents_for_user(self.ctx, user)

    def open_incidents(self, *, reader: str | None = None) -> list[IncidentView]:
        return queries.open_incidents(self.ctx, reader)
