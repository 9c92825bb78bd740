"""Follow-up actions: proposed with cost, impact and likelihood; worked on; done, deferred or risk accepted.

States and who moves them (``config/permissions.yaml``)::

    open ──start──> in_progress ──done──> done
      │  \\___________________________/      │
      │            (done from open too)     │
      ├──defer (until, reason)──> deferred ─┤   risk_owner, never the proposer
      └──accept (reason)──> risk_accepted   │   risk_owner, never the proposer
    done / deferred / risk_accepted ──reopen (reason)──> open

Deferring or accepting a risk is the product owner's decision: the actor must
hold ``risk_owner`` and must not be the person who proposed the follow-up
(segregation of duties, checked here whatever the permissions file says).
Every change is an event on the incident's chain carrying the new state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Callable

from sqlmodel import Session, select

from bot.audit.trail import append_event
from bot.incidents import collaborators, messages
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest, NotFound, PermissionDenied
from bot.incidents.finish import conclude
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize
from bot.incidents.records import label, load, load_by_id, subject
from bot.incidents.views import Outcome, Post
from bot.learning import risk
from bot.learning.tables import FollowUp
from bot.learning.views import FollowUpOutcome, FollowUpView
from bot.oncall.directory import reader_zone
from bot.ports import Notice

MAX_TITLE, MAX_COST, MAX_TEXT = 500, 500, 2000
ACTIVE = ("open", "in_progress", "deferred")


@dataclass(frozen=True)
class Proposal:
    title: str
    owner: str  # Slack user id
    due: date
    cost: str
    impact: str
    likelihood: str  # rare .. almost-certain
    impact_level: str | None = None  # negligible .. severe; None: from the incident's severity
    horizon: str = "12m"


def followup_view(row: FollowUp, number: int) -> FollowUpView:
    return FollowUpView(id=row.id, incident_id=row.incident_id, incident=label(number), title=row.title,
                        owner=row.owner, due=row.due.isoformat(), zone=row.zone, cost=row.cost, impact=row.impact,
                        impact_level=row.impact_level, likelihood=row.likelihood, horizon_months=row.horizon_months,
                        state=row.state, proposed_by=row.proposed_by, proposed_at=row.proposed_at,
                        deferred_until=row.deferred_until.isoformat() if row.deferred_until else None,
                        decision_reason=row.decision_reason, decided_by=row.decided_by, decided_at=row.decided_at,
                        done_at=row.done_at)


def effective_due(row: Any) -> date:
    """The day the owner is held to: the deferral's end while deferred, else the due day."""
    return row.deferred_until if row.state == "deferred" and row.deferred_until else row.due


def owner_zone(config: Any, slack_user: str) -> str:
    return reader_zone(config, slack_user)


def _text(value: str, what: str, limit: int) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidRequest(f"expected {what}, got nothing")
    if len(value) > limit:
        raise InvalidRequest(f"expected {what} of at most {limit} characters, got {len(value)}; shorten it")
    return value


def _chain_state(row: FollowUp) -> dict[str, Any]:
    """The follow-up's state as the chain records it (free text under keys purge redacts)."""
    return {"followup": row.id, "title": row.title, "owner": row.owner, "due": row.due.isoformat(), "zone": row.zone,
            "cost": row.cost, "impact": row.impact, "impact_level": row.impact_level, "likelihood": row.likelihood,
            "horizon_months": row.horizon_months, "state": row.state,
            "deferred_until": row.deferred_until.isoformat() if row.deferred_until else None,
            "reason": row.decision_reason, "decided_by": row.decided_by, "proposed_by": row.proposed_by,
            "risk_score": risk.score(row.impact_level, row.likelihood)}


def _describe(view: FollowUpView, name: Callable[[str], str]) -> list[str]:
    return [view.title,
            f"Owner: {name(view.owner)}; due {view.due}" + (f" (deferred until {view.deferred_until})"
                                                              if view.state == "deferred" else ""),
            f"Cost: {view.cost}",
            f"Impact: {view.impact_name}: {view.impact}",
            f"Likelihood: {view.likelihood_name} within {view.horizon}; risk score {view.risk_score} of 25"]


def _local_today(ctx: Context, zone: str) -> date:
    from bot.oncall.wallclock import local_date

    return local_date(ctx.now(), zone)


def problems(proposal: Proposal) -> dict[str, str]:
    """What is wrong with a proposal, field by field (title, cost, impact, likelihood, level, horizon); empty when
    nothing is. The service refuses the first; a form shows each next to its field."""
    found: dict[str, str] = {}
    texts = (("title", proposal.title, "what is to be done", MAX_TITLE),
             ("cost", proposal.cost, "a cost estimate (effort, money), e.g. \"3 days\"", MAX_COST),
             ("impact", proposal.impact, "the impact in plain words (what happens if it is not done)", MAX_TEXT))
    for name, value, what, limit in texts:
        try:
            _text(value, what, limit)
        except InvalidRequest as exc:
            found[name] = str(exc)
    scales = (("likelihood", lambda: risk.likelihood_level(proposal.likelihood or "")),
              ("level", lambda: proposal.impact_level and risk.impact_level(proposal.impact_level)),
              ("horizon", lambda: risk.horizon_months(proposal.horizon or "12m")))
    for name, check in scales:
        try:
            check()
        except ValueError as exc:
            found[name] = str(exc)
    return found


def due_problem(config: Any, proposal: Proposal, now: datetime) -> str | None:
    """Why the due day cannot be taken (before today in the owner's zone), or None."""
    from bot.oncall.wallclock import local_date

    zone = owner_zone(config, proposal.owner)
    today = local_date(now, zone)
    if proposal.due < today:
        return f"expected a due date from today on ({today} in {zone}, the owner's zone), got {proposal.due}"
    return None


def add(ctx: Context, number: int, proposal: Proposal, *, actor: str, key: str) -> FollowUpOutcome:
    found = problems(proposal)
    if found:
        raise InvalidRequest(next(iter(found.values())))
    title, cost, impact = proposal.title.strip(), proposal.cost.strip(), proposal.impact.strip()
    likelihood = risk.likelihood_level(proposal.likelihood)
    level = risk.impact_level(proposal.impact_level) if proposal.impact_level else None
    horizon = risk.horizon_months(proposal.horizon or "12m")

    def work(session: Session) -> FollowUpOutcome:
        config, now = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "add_followup", actor, subject(session, incident, ctx.members))
        if incident.purged_at is not None:
            raise Conflict(f"{label(number)} was purged; file the follow-up against a new incident or a ticket")
        zone = owner_zone(config, proposal.owner)
        late = due_problem(config, proposal, now)
        if late:
            raise InvalidRequest(late)
        impact_level = level if level is not None else _impact_from_severity(config, incident)
        row = FollowUp(incident_id=incident.id, title=title, owner=proposal.owner, due=proposal.due, zone=zone,
                       cost=cost, impact=impact, impact_level=impact_level, likelihood=likelihood,
                       horizon_months=horizon, proposed_by=actor, proposed_at=now, updated_at=now)
        session.add(row)
        session.flush()
        view = followup_view(row, number)
        append_event(session, incident_id=incident.id, actor=actor, kind="followup.added", at=now,
                     summary=f"follow-up {view.label} for {proposal.owner} due {view.due}: {title}",
                     data=_chain_state(row))
        outcome = conclude(session, config, incident, now)
        name = collaborators.namer(config)
        lines = _describe(view, name)
        posts = [Post("incident_channel", "", messages.in_channel(outcome.incident, "followup",
                                                                  f"{view.label} added to {label(number)}", *lines,
                                                                  mention=(proposal.owner,)), f"{key}:post:0")]
        if proposal.owner != actor:
            posts.append(Post("user", proposal.owner, Notice(
                kind="followup", title=f"You own follow-up {view.label} of {label(number)}",
                lines=(*lines, f"Proposed by {name(actor)}. You will be reminded before and after the due date."),
                metadata={"incident": str(number), "followup": str(row.id)}), f"{key}:post:1"))
        return FollowUpOutcome(outcome=Outcome(incident=outcome.incident, posts=tuple(posts),
                                                         message=f"{view.label} added (risk score {view.risk_score})"),
                               followup=view)

    return run_once(ctx, key, "add_followup", FollowUpOutcome, work)


def _impact_from_severity(config: Any, incident: Any) -> int:
    from bot.incidents.playbook import playbook_for

    playbook = playbook_for(config, incident.severity)
    return risk.impact_from_rank(playbook.rank) if playbook is not None else 3


def _load(session: Session, followup_id: int) -> FollowUp:
    row = session.exec(select(FollowUp).where(FollowUp.id == followup_id).with_for_update()).first()
    if row is None:
        raise NotFound(f"there is no follow-up F-{followup_id}; see incident-bot followups")
    return row


TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    # action: (states it may start from, state it leads to)
    "start": (("open",), "in_progress"),
    "done": (("open", "in_progress", "deferred"), "done"),
    "defer": (("open", "in_progress", "deferred"), "deferred"),
    "accept": (("open", "in_progress", "deferred"), "risk_accepted"),
    "reopen": (("done", "deferred", "risk_accepted"), "open"),
}
RISK_DECISIONS = ("defer", "accept")


def change(ctx: Context, followup_id: int, action: str, *, actor: str, key: str, reason: str = "",
           until: date | None = None) -> FollowUpOutcome:
    if action not in TRANSITIONS:
        raise InvalidRequest(f'expected one of {", ".join(TRANSITIONS)}, got "{action}"')
    reason = (reason or "").strip()
    if len(reason) > MAX_TEXT:
        raise InvalidRequest(f"expected a reason of at most {MAX_TEXT} characters, got {len(reason)}")
    if action in RISK_DECISIONS + ("reopen",) and not reason:
        what = {"defer": "deferring", "accept": "accepting the risk", "reopen": "reopening"}[action]
        raise InvalidRequest(f"{what} needs a reason (it is recorded with who decided)")
    if action == "defer" and until is None:
        raise InvalidRequest("deferring needs the date until which it is deferred (until 2027-03-31)")

    def work(session: Session) -> FollowUpOutcome:
        config, now = ctx.config(), ctx.now()
        row = _load(session, followup_id)
        incident = load_by_id(session, row.incident_id)
        who = subject(session, incident, ctx.members, followup_owner=row.owner)
        if action in RISK_DECISIONS:
            authorize(config, "risk_owner", actor, who)
            if actor == row.proposed_by:
                raise PermissionDenied(
                    f"You proposed F-{row.id}, so you may not also {'defer it' if action == 'defer' else 'accept its risk'} "
                    "(segregation of duties): another risk owner must decide.", action="risk_owner",
                    allowed=tuple(getattr(_actions(config), "risk_owner")))
        elif action == "reopen" and row.state in ("deferred", "risk_accepted"):
            authorize(config, "risk_owner", actor, who)
        else:
            authorize(config, "update_followup", actor, who)
        starts, target = TRANSITIONS[action]
        if row.state not in starts:
            raise Conflict(f"F-{row.id} is {row.state.replace('_', ' ')}; it cannot be {_verb(action)} from there")
        if action == "defer" and until <= _local_today(ctx, row.zone):  # type: ignore[operator]
            raise InvalidRequest(f"expected a deferral into the future (after {_local_today(ctx, row.zone)} in "
                                 f"{row.zone}), got {until}")
        before = row.state
        row.state, row.updated_at = target, now
        if action in RISK_DECISIONS:
            row.decision_reason, row.decided_by, row.decided_at = reason, actor, now
            row.deferred_until = until if action == "defer" else None
        elif action == "reopen":
            row.decision_reason, row.deferred_until, row.done_at, row.done_by = reason, None, None, None
        elif action == "done":
            row.done_at, row.done_by, row.deferred_until = now, actor, None
        session.add(row)
        session.flush()
        view = followup_view(row, incident.number)
        text = f"follow-up {view.label} {before.replace('_', ' ')} -> {target.replace('_', ' ')}" + \
            (f" until {until}" if action == "defer" else "") + (f": {reason}" if reason else "")
        append_event(session, incident_id=incident.id, actor=actor, kind=f"followup.{_event(action)}", at=now,
                     summary=text, data={**_chain_state(row), "before": before})
        outcome = conclude(session, config, incident, now)
        name = collaborators.namer(config)
        title = f"{view.label} {_verb(action)} by {name(actor)}"
        lines = [*( [f"Reason: {reason}"] if reason else []), *_describe(view, name)]
        posts = [Post("incident_channel", "", messages.in_channel(outcome.incident, "followup", title, *lines),
                      f"{key}:post:0")]
        for index, person in enumerate(dict.fromkeys(p for p in (row.owner, row.proposed_by) if p != actor)):
            posts.append(Post("user", person, Notice(kind="followup", title=f"{title} ({label(incident.number)})",
                                                     lines=tuple(lines),
                                                     metadata={"incident": str(incident.number),
                                                               "followup": str(row.id)}), f"{key}:post:{index + 1}"))
        return FollowUpOutcome(outcome=Outcome(incident=outcome.incident, posts=tuple(posts),
                                                         message=f"{view.label} {_verb(action)}"), followup=view)

    return run_once(ctx, key, f"followup_{action}", FollowUpOutcome, work)


def _actions(config: Any) -> Any:
    from bot.incidents.permissions import permissions

    return permissions(config).actions


def _verb(action: str) -> str:
    return {"start": "started", "done": "done", "defer": "deferred", "accept": "risk accepted",
            "reopen": "reopened"}[action]


def _event(action: str) -> str:
    return {"start": "started", "done": "done", "defer": "deferred", "accept": "risk_accepted",
            "reopen": "reopened"}[action]


def listing(session: Session, *, open_only: bool = False) -> list[FollowUpView]:
    from bot.incidents.tables import Incident

    query = select(FollowUp, Incident.number).join(Incident, Incident.id == FollowUp.incident_id)  # type: ignore[arg-type]
    if open_only:
        query = query.where(FollowUp.state.in_(ACTIVE))  # type: ignore[attr-defined]
    rows = [followup_view(row, number) for row, number in session.exec(query).all()]
    return sorted(rows, key=lambda v: (-v.risk_score, v.due, v.id))


def of_incident(session: Session, incident_id: int, number: int) -> list[FollowUpView]:
    rows = session.exec(select(FollowUp).where(FollowUp.incident_id == incident_id).order_by(FollowUp.id)).all()
    return [followup_view(r, number) for r in rows]


def at_day(moment: datetime, zone: str) -> date:
    from bot.oncall.wallclock import local_date

    return local_date(moment, zone)
