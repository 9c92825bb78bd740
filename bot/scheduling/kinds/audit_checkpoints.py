"""Signed audit checkpoints posted to the audit channel (``audit_checkpoint``).

Written with the checkpoint itself, in its unit of work, when ``audit_channel`` is set
(:func:`bot.audit.published.publish_in_channel`); not derived from an incident (``PLANNED = False``).  The
row's payload holds what the message says, fixed when the checkpoint was signed: its number, when, how many
chains, the sha256 of its anchor line and of the previous line, the key id.  The message shows them to a
person, and its Slack metadata (``event_payload``, with the row's key and ``kind: audit_checkpoint``) carries
the same values for ``incident-bot audit published``.  The recipient is the channel as it was named then
(``#name``), so a later change of ``audit_channel`` does not move a checkpoint already written.

Delivered like every outbox post: once as seen in Slack, retried through an outage; a row that fails for good
(channel missing, bot not in a private channel) is on the global chain and told to the operations channel
(:mod:`bot.scheduling.failures`), and the verifier reports its number as missing between published ones.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.audit.published import KIND
from bot.outbox.tables import Reminder
from bot.ports import Notice
from bot.scheduling.wanted import Outcome, Send, Wanted

name = KIND
PLANNED = False  # written with the checkpoint, not derived from an incident's state


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    return []  # an incident has no checkpoints of its own: the ledger writes these rows


def checkpoint_notice(values: dict[str, str]) -> Notice:
    """The message for a checkpoint: its values for a person, and the same values as metadata."""
    return Notice(kind=KIND, title=f"Audit checkpoint #{values.get('checkpoint', '?')}",
                  lines=("Signed heads of every audit chain. The sha256 commits to the whole anchor line: compare "
                         "it with the anchor file (incident-bot audit published, then audit verify --published).",),
                  fields=(("Signed at", values.get("at", "")), ("Chains", values.get("chains", "")),
                          ("Anchor line sha256", values.get("line_sha256", "")),
                          ("Previous line sha256", values.get("prev_sha256", "")),
                          ("Key id", values.get("key_id", ""))),
                  metadata={k: str(v) for k, v in values.items()})


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    return Send(reminder.recipient, checkpoint_notice(reminder.payload or {}), False)


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    return None


def describe(reminder: Reminder) -> str:
    return f"post audit checkpoint #{(reminder.payload or {}).get('checkpoint', '?')} to {reminder.recipient}"
