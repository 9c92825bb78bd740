"""The common end of every lifecycle operation: reminders in step, a detached result."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.incidents import collaborators
from bot.incidents.records import incident_view
from bot.incidents.tables import Incident
from bot.incidents.views import Outcome


def conclude(session: Session, config: Any, incident: Incident, at: datetime, **fields: Any) -> Outcome:
    """Flush, bring the incident's reminder rows in line with its new state, return the outcome."""
    session.add(incident)
    session.flush()
    collaborators.sync_reminders(session, config, incident.id, at)
    return Outcome(incident=incident_view(session, config, incident), **fields)
