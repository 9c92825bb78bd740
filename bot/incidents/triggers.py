"""Legal clock starts (triggers such as ``aware``) and the second-person approval to move one.

Setting a trigger the first time applies at once.  Moving a trigger that is
already set shifts legal deadlines, so it is segregated: one permitted person
requests, a *different* permitted person approves (or rejects).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.clock import ensure_utc
from bot.incidents import addressing, collaborators, messages
from bot.incidents.context import Context
from bot.incidents.errors import Conflict, InvalidRequest, PermissionDenied
from bot.incidents.finish import conclude
from bot.incidents.idempotency import run_once
from bot.incidents.permissions import authorize, permissions
from bot.incidents.records import approval_view, label, load, obligation_views, require_open, subject
from bot.incidents.tables import Incident, TriggerApproval
from bot.incidents.views import Outcome, Post
from bot.incidents.decision_buttons import decision_buttons

FUTURE_TOLERANCE = timedelta(minutes=5)


def trigger_names() -> dict[str, str]:
    from bot.deadlines.rules import TRIGGERS

    return dict(TRIGGERS)


def _validate(name: str, at: datetime, now: datetime) -> tuple[str, str]:
    name = (name or "").strip()
    known = trigger_names()
    if name not in known:
        raise InvalidRequest(f'unknown trigger "{name}"; expected one of: {", ".join(known)} '
                             "(submissions are recorded with mark notified)")
    try:
        at = ensure_utc(at)
    except ValueError:
        raise InvalidRequest(f'expected a time with a UTC offset like "2026-03-02T09:00:00+01:00", got {at!r}') from None
    if at > now + FUTURE_TOLERANCE:
        raise InvalidRequest(f"expected a time that has already happened, got {at.isoformat()} (now is {now.isoformat()})")
    return name, at.isoformat()


def _apply(session: Session, config: Any, incident: Incident, name: str, value: str, *, actor: str, at: datetime,
           kind: str, extra: dict[str, Any]) -> list[Any]:
    before = (incident.triggers or {}).get(name)
    incident.triggers = {**(incident.triggers or {}), name: value}
    append_event(session, incident_id=incident.id, actor=actor, kind=kind, at=at,
                 summary=f"legal clock {name}: {before or 'unset'} -> {value}",
                 data={"trigger": name, "before": before, "after": value, **extra})
    return collaborators.recompute(session, config, incident, actor=actor, why=f"trigger {name} set", at=at)


def clock_posts(config: Any, view: Any, obligations: tuple[Any, ...], why: str, key: str) -> tuple[Post, ...]:
    """A channel post listing the deadlines a change set or moved (none when no dated duty changed)."""
    notice = messages.legal_clocks(view, obligations, zone=config.settings.timezone, why=why)
    return (Post("incident_channel", "", notice, f"{key}:clocks"),) if notice else ()


def set_trigger(ctx: Context, number: int, name: str, at: datetime, *, actor: str, key: str, reason: str) -> Outcome:
    def work(session: Session) -> Outcome:
        config, now = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "set_trigger", actor, subject(session, incident, ctx.members))
        require_open(incident, "set legal clocks")
        trigger, value = _validate(name, at, now)
        current = (incident.triggers or {}).get(trigger)
        if current == value:
            raise Conflict(f"{trigger} is already {value} in {label(number)}")
        if current is not None:
            return _request(session, config, incident, trigger, value, current, actor=actor, key=key, now=now,
                            reason=reason)
        late = timedelta(minutes=permissions(config).late_clock_tolerance_minutes)
        if datetime.fromisoformat(value) > ensure_utc(incident.declared_at) + late:
            # A clock started well after the declaration postpones every deadline: a second person decides.
            if not (reason or "").strip():
                raise InvalidRequest(f"{trigger} {value} is more than {int(late.total_seconds() // 60)} minutes after "
                                     f"{label(number)} was declared; give the reason, a second person must approve it")
            return _request(session, config, incident, trigger, value, None, actor=actor, key=key, now=now,
                            reason=reason)
        obligations = _apply(session, config, incident, trigger, value, actor=actor, at=now, kind="trigger.set",
                             extra={"reason": reason})
        outcome = conclude(session, config, incident, now)
        views = obligation_views(session, obligations)
        return Outcome(incident=outcome.incident, obligations=views, message=f"{trigger} set to {value}; deadlines computed",
                       posts=clock_posts(config, outcome.incident, views, f"started ({trigger} set)", key))

    return run_once(ctx, key, "set_trigger", Outcome, work)


def request_trigger_change(ctx: Context, number: int, name: str, at: datetime, *, actor: str, key: str,
                           reason: str) -> Outcome:
    def work(session: Session) -> Outcome:
        config, now = ctx.config(), ctx.now()
        incident = load(session, number)
        authorize(config, "set_trigger", actor, subject(session, incident, ctx.members))
        require_open(incident, "move legal clocks")
        trigger, value = _validate(name, at, now)
        current = (incident.triggers or {}).get(trigger)
        if current is None:
            raise Conflict(f"{trigger} is not set yet in {label(number)}; set it directly (no approval needed)")
        if current == value:
            raise Conflict(f"{trigger} is already {value} in {label(number)}")
        return _request(session, config, incident, trigger, value, current, actor=actor, key=key, now=now, reason=reason)

    return run_once(ctx, key, "request_trigger_change", Outcome, work)


def _request(session: Session, config: Any, incident: Incident, trigger: str, value: str, current: str | None, *,
             actor: str, key: str, now: datetime, reason: str) -> Outcome:
    row = TriggerApproval(incident_id=incident.id, trigger=trigger, current=current, proposed=value,
                          reason=(reason or "").strip()[:2000], requested_by=actor, requested_at=now)
    session.add(row)
    session.flush()
    append_event(session, incident_id=incident.id, actor=actor, kind="trigger.change_requested", at=now,
                 summary=f"asks to move legal clock {trigger} from {current} to {value}",
                 data={"approval_id": row.id, "trigger": trigger, "before": current, "after": value, "reason": row.reason})
    outcome = conclude(session, config, incident, now)
    view = outcome.incident
    notice = messages.in_channel(
        view, "trigger_approval", f"Approval needed: move legal clock {trigger}",
        f"{actor} asks to move {trigger} from {current} to {value}.", row.reason and f"Reason: {row.reason}",
        "Another permitted person (comms lead, legal or an admin) must approve; the requester cannot.",
        buttons=decision_buttons("trigger", row.id))
    return Outcome(incident=view, posts=(Post("incident_channel", "", notice, f"{key}:post:0"),),
                   approval=approval_view(row),
                   message=f"moving {trigger} needs a second person's approval (request #{row.id})")


def decide(ctx: Context, approval_id: int, *, approve: bool, actor: str, key: str, reason: str,
           incident_number: int | None = None) -> Outcome:
    def work(session: Session) -> Outcome:
        config, now = ctx.config(), ctx.now()
        sees = addressing.reader(session, ctx, actor)
        row, incident = addressing.approval(session, approval_id, incident_number, sees)
        authorize(config, "approve_trigger_change", actor, subject(session, incident, ctx.members))
        if row.status != "pending":
            raise Conflict(f"request #{approval_id} was already {row.status} by {row.decided_by}")
        if approve and actor == row.requested_by:
            raise PermissionDenied(f"{actor} requested this change and cannot approve it too (segregation of duties); "
                                   "ask another comms lead, legal or an admin", action="approve_trigger_change")
        require_open(incident, "move legal clocks")
        current = (incident.triggers or {}).get(row.trigger)
        if approve and current != row.current:
            raise Conflict(f"{row.trigger} changed since the request (now {current}); ask for a new request")
        row.status, row.decided_by, row.decided_at = ("approved" if approve else "rejected"), actor, now
        session.add(row)
        obligations: list[Any] = []
        if approve:
            obligations = _apply(session, config, incident, row.trigger, row.proposed, actor=actor, at=now,
                                 kind="trigger.change_approved",
                                 extra={"approval_id": row.id, "requested_by": row.requested_by, "reason": row.reason})
        else:
            append_event(session, incident_id=incident.id, actor=actor, kind="trigger.change_rejected", at=now,
                         summary=f"rejected moving {row.trigger} to {row.proposed}" + (f": {reason}" if reason else ""),
                         data={"approval_id": row.id, "trigger": row.trigger, "before": current, "after": current,
                               "proposed": row.proposed, "reason": reason})
        outcome = conclude(session, config, incident, now)
        verdict = "approved" if approve else "rejected"
        text = f"{actor} {verdict} moving {row.trigger} to {row.proposed} (requested by {row.requested_by})"
        views = obligation_views(session, obligations)
        return Outcome(incident=outcome.incident, approval=approval_view(row), message=text, obligations=views,
                       posts=(Post("incident_channel", "", messages.in_channel(outcome.incident, "trigger_decision", text),
                                   f"{key}:post:0"),)
                       + clock_posts(config, outcome.incident, views, f"moved ({row.trigger} changed)", key))

    return run_once(ctx, key, "decide_trigger_change", Outcome, work)
