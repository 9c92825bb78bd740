"""Domain errors of the incident lifecycle.

Every error carries a sentence meant for the person who caused it: what was
wrong and how to fix it (or who can do it instead).  The Slack adapter shows
``str(error)`` as an ephemeral message; the CLI prints it.
"""

from __future__ import annotations


class IncidentError(Exception):
    """Base class: a request the lifecycle refuses. ``str(e)`` is shown to the user."""


class NotFound(IncidentError):
    """The incident, task, page, obligation or approval does not exist."""


class InvalidRequest(IncidentError):
    """Bad input (unknown severity, role, fact, empty text ...)."""


class Conflict(IncidentError):
    """The request does not fit the current state (e.g. closing an incident that is still active)."""


class PermissionDenied(IncidentError):
    """The actor may not do this. The message says why and who can."""

    def __init__(self, message: str, *, action: str = "", allowed: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.action = action
        self.allowed = allowed


class KeyReused(IncidentError):
    """An idempotency key was replayed for a different operation."""
