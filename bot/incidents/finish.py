"""The common end of every lifecycle operation: reminders in step, a detached result, the playbook's notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable

from sqlmodel import Session

from bot.incidents import collaborators, messages, task_rules
from bot.incidents.records import incident_view
from bot.incidents.tables import Incident
from bot.incidents.playbook import PlaybookFile
from bot.incidents.views import IncidentView, Outcome, Post


def conclude(session: Session, config: Any, incident: Incident, at: datetime, **fields: Any) -> Outcome:
    """Flush, bring the incident's reminder rows in line with its new state, return the outcome."""
    session.add(incident)
    session.flush()
    if task_rules.complete_reached(session, incident, at):
        session.flush()
    collaborators.sync_reminders(session, config, incident.id, at)
    return Outcome(incident=incident_view(session, config, incident), **fields)


def with_notifications(config: Any, pb: PlaybookFile, view: IncidentView, posts: list[Post], moment: str, *,
                       headline: str, key: str, name: Callable[[str], str] | None = None) -> list[Post]:
    """``posts`` followed by the playbook's notifications for ``moment``; user groups named on the feed post."""
    posts = posts + messages.notifications(pb, view, moment, headline=headline, key=key, start=len(posts),
                                           name=name or collaborators.namer(config),
                                           slack_user_of=lambda p: collaborators.slack_user_of(config, p))
    return messages.address_groups(posts, config.settings.incidents_channel)
