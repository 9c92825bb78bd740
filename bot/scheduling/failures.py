"""When an outbox row fails for good: on the timeline, and told to the incident commander.

A row fails for good on a permanent Slack error (``channel_not_found``,
``is_archived`` …) or after :data:`~bot.scheduling.delivery.MAX_ATTEMPTS`
transient ones (minutes of outage or rate limiting).  The failure is a
timeline event in the same unit of work, and the commander (the reporter
while nobody holds the role) gets a direct message saying what was not done
and what to do, itself an outbox row.  A row of no incident (an alert group's
page, its buttons, a failed SMS told to the paged person) has no commander:
the operators are told instead (:mod:`bot.outbox.operator_notices`, the
operations channel), once per row.  Failures of replies and of these
messages are only recorded, never announced again.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.audit.trail import append_event
from bot.outbox import effects
from bot.outbox.notice_codec import notice_to_json
from bot.outbox.operator_notices import tell_operators
from bot.outbox.tables import EFFECT_KINDS, Reminder
from bot.ports import Notice
from bot.scheduling.recipients import role_holder

NOT_ANNOUNCED = ("reply",)


def describe(kinds: dict[str, Any], row: Reminder) -> str:
    """What the row does, for people: "post status_update to the incident channel", "create the incident channel"."""
    kind = kinds.get(row.kind)
    text = getattr(kind, "describe", None)
    return text(row) if text is not None else f"{row.kind.replace('_', ' ')} reminder {row.key}"


def record(session: Session, kinds: dict[str, Any], row: Reminder, now: datetime, error: str, *,
           config: Any = None) -> None:
    """The failure on the chain, and told: to the incident's commander, or (a row of no incident, with ``config``
    given) to the operators."""
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
    if row.kind in NOT_ANNOUNCED or (row.payload or {}).get("failure_notice") or "post" not in kinds:
        return
    if row.incident_id is None:
        if config is not None:
            _tell_operators(session, config, row, now, step, error)
        return
    _tell_commander(session, kinds, row, now, step, error)


def _tell_commander(session: Session, kinds: dict[str, Any], row: Reminder, now: datetime, step: str,
                    error: str) -> None:
    from bot.incidents.tables import Incident

    incident = session.get(Incident, row.incident_id)
    if incident is None:
        return
    commander = role_holder(session, incident.id, "commander") or incident.reporter
    label = f"INC-{incident.number}"
    lines = [f"{_what_happened(row, step)} for {label}: {error[:300]}", "It is recorded on the incident timeline."]
    if row.kind == "create_channel":
        lines.append(f"Create a channel by hand, then run /incident {label} channel #<its name>: everything "
                     "waiting for the channel is posted there and the responders are invited.")
    elif row.kind in ("page", "held_page"):
        lines.append("The next person on the escalation path is paged instead.")
    else:
        lines.append("Please do it by hand if it still matters.")
    notice = Notice(kind="delivery_failed", title=f"{label}: {_headline(row)}", lines=tuple(lines),
                    mention_users=(commander,), metadata={"incident": str(incident.number)})
    effects.add(session, key=f"{row.key}:failed", kind="post", incident_id=incident.id, at=now, recipient=commander,
                payload={"notice": notice_to_json(notice), "failure_notice": True},
                lane=f"incident:{incident.id}:@{commander}")


def _what_happened(row: Reminder, step: str) -> str:
    """A row marked sent when it is told failed was done in Slack; only recording it failed (recording.py)."""
    return f"Slack did it ({step}), but the bot could not record it" if row.state == "sent" else \
        f"The bot could not {step}"


def _headline(row: Reminder) -> str:
    return "something done in Slack could not be recorded" if row.state == "sent" else \
        "something could not be done in Slack"


_WHAT_TO_DO = {
    "alert_page": "The next person on the escalation path is paged instead. Check that the person's Slack account "
                  "in config/people.yaml is right and that they are still in the workspace.",
    "alert_method": "The paged person was not told that a step of their page (SMS, call or email) failed: tell them, "
                    "and check their contact details in config/people.yaml.",
}


def shown_recipient(recipient: str) -> str:
    """The recipient as the logs show an address: a Slack id, channel or role as it is (no personal data), a
    phone number or email address masked (:func:`bot.notify.ports.mask`)."""
    from bot.notify.ports import mask

    if re.fullmatch(r"#?[A-Za-z0-9][A-Za-z0-9_.-]*", recipient) and not recipient.lstrip("#").isdigit():
        return recipient
    return mask(recipient)


def _tell_operators(session: Session, config: Any, row: Reminder, now: datetime, step: str, error: str) -> None:
    lines = [f"{_what_happened(row, step)}: {error[:300]}",
             "It failed for good and is recorded on the global audit chain; it belongs to no incident, so no "
             "commander was told.",
             _WHAT_TO_DO.get(row.kind, "Please do it by hand if it still matters."),
             "If Slack refused it (not an outage), check that the bot is in the workspace and the channels it posts "
             "to, and that the recipient still exists."]
    notice = Notice(kind="delivery_failed", title=f"Outside any incident, {_headline(row)}",
                    lines=tuple(lines),
                    fields=(("Kind", row.kind), ("Recipient", shown_recipient(row.recipient)), ("Row", row.key),
                            ("Attempts", str(row.attempts))),
                    metadata={"outbox_row": str(row.id)})
    tell_operators(session, config, cause=f"failed:{row.id}", notice=notice, at=now)
