"""Opening the post-incident review at resolution, through a port the learning package provides.

The review (owner, business-day calendar, due day) is the learning package's
(:func:`bot.learning.reviews.open_for`), which sits above incidents.  Resolving
calls :func:`open_review` here in its unit of work, and ``bot/learning/__init__.py``
calls :func:`provide` when the learning package is imported (``bot.store.schema``
imports it with every table module).  Every process of the bot starts in the
command line's ``main``, which provides this port before it dispatches any
command (:mod:`bot.cli.ports`: ``bot.learning`` imported on first use).

With nothing provided :func:`open_review` raises :class:`NoReviewOpener` and the
resolution rolls back: resolving without fixing the review would lose it silently.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # only for the annotations: a process provides this port without loading the database stack
    from sqlmodel import Session


class ReviewOpener(Protocol):
    def __call__(self, session: Session, config: Any, incident: Any, at: datetime, *, actor: str) -> Any: ...


class NoReviewOpener(RuntimeError):
    """An incident is being resolved and nothing in this process opens its post-incident review."""


_provided: ReviewOpener | None = None


def provide(opener: ReviewOpener | None) -> None:
    """Install what opens the review (``None`` removes it)."""
    global _provided
    _provided = opener


def is_provided() -> bool:
    return _provided is not None


def provided() -> ReviewOpener | None:
    """What is installed now (``None``: nothing)."""
    return _provided


def open_review(session: Session, config: Any, incident: Any, *, actor: str, at: datetime) -> None:
    """The post-incident review the playbook requires, fixed at resolution (owner, calendar, due day)."""
    if _provided is None:
        raise NoReviewOpener(
            f"nothing opens the post-incident review of incident id {incident.id}: import bot.learning in this "
            "process (it provides bot.incidents.review_port), or call bot.incidents.review_port.provide(...)")
    _provided(session, config, incident, at, actor=actor)
