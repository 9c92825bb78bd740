"""After the incident: milestones, the post-incident review, follow-up actions, metrics and the period report.

The domain of the learning phase.  It imports no chat library and takes an
injected clock; the Slack adapter's commands and buttons and the CLI call
:class:`bot.learning.service.LearningService`.  Importing it provides the
incident lifecycle's review port (:mod:`bot.incidents.review_port`): resolving
an incident opens its review through :func:`bot.learning.reviews.open_for`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.incidents import review_port


def _open_review(session: Session, config: Any, incident: Any, at: datetime, *, actor: str) -> Any:
    from bot.learning.reviews import open_for  # imported when first used: it imports the incident lifecycle

    return open_for(session, config, incident, at, actor=actor)


review_port.provide(_open_review)
