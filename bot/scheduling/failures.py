"""When an outbox row fails for good: on the timeline, and told to the incident commander.

A row fails for good on a permanent Slack error (``channel_not_found``,
``is_archived`` …) or after :data:`~bot.scheduling.delivery.MAX_ATTEMPTS`
transient ones (minutes of outage or rate limiting).  The failure is a
timeline event in the same unit of work, and the commander (the reporter
while nobody holds the role) gets a direct message saying what was not done
and what to do, itself an outbox row.  Failures of replies and of these
messages are only recorded, never announced again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.outbox import effects
from bot.outbox.notice_codec import notice_to_json
from bot.outbox.tables import EFFECT_KINDS, Reminder
from bot.ports import Notice
from bot.scheduling.recipients import role_holder

NOT_ANNOUNCED = ("reply",)


def describe(kinds: dict[str, Any], row: Reminder) -> str:
    """What the row does, for people: "post status_update to the incident channel", "create the incident channel"."""
    kind = kinds.get(row.kind)
    text = getattr(kind, "describe", None)
    return text(row) if text is not None else f"{row.kind.replace('_', ' ')} reminder {row.key}"


def record(session: Session, kinds: dict[str, Any], row: Reminder, now: datetime, error: str) -> None:
    step = describe(kinds, row)
    if row.kind in EFFECT_KINDS:
        append_event(session, incident_id=row.incident_id, actor="system", kind="side_effect.failed", at=now,
                     summary=f"{step} failed: {error[:500]}",
                     data={"step": step, "key": row.key, "attempts": row.attempts, "error": error[:2000]})
    else:
        append_event(session, incident_id=row.incident_id, actor="system", kind="reminder.failed", at=now,
                     summary=f"Could not deliver {row.kind} reminder {row.key} after {row.attempts} attempt(s): "
                             f"{error}"[:4000],
                     data={"key": row.key, "kind": row.kind, "attempts": row.attempts})
    if row.kind not in NOT_ANNOUNCED and not (row.payload or {}).get("failure_notice") and "post" in kinds:
        _tell_commander(session, kinds, row, now, step, error)


def _tell_commander(session: Session, kinds: dict[str, Any], row: Reminder, now: datetime, step: str,
                    error: str) -> None:
    from bot.incidents.tables import Incident

    incident = session.get(Incident, row.incident_id) if row.incident_id is not None else None
    if incident is None:  # an alert group's page has no incident: the failure is on the chain, it escalates
        return
    commander = role_holder(session, incident.id, "commander") or incident.reporter
    label = f"INC-{incident.number}"
    lines = [f"The bot could not {step} for {label}: {error[:300]}", "It is recorded on the incident timeline."]
    if row.kind == "create_channel":
        lines.append(f"Create a channel by hand, then run /incident {label} channel #<its name>: everything "
                     "waiting for the channel is posted there and the responders are invited.")
    elif row.kind in ("page", "held_page"):
        lines.append("The next person on the escalation path is paged instead.")
    else:
        lines.append("Please do it by hand if it still matters.")
    notice = Notice(kind="delivery_failed", title=f"{label}: something could not be done in Slack", lines=tuple(lines),
                    mention_users=(commander,), metadata={"incident": str(incident.number)})
    effects.add(session, key=f"{row.key}:failed", kind="post", incident_id=incident.id, at=now, recipient=commander,
                payload={"notice": notice_to_json(notice), "failure_notice": True},
                lane=f"incident:{incident.id}:@{commander}")
