"""The Approve / Reject buttons of a change waiting for a second person, the same on the request's message and
in ``/incident approvals``: action ids ``<kind>.approve`` and ``<kind>.reject`` (``trigger`` for a legal clock's
move, ``request`` for a held change), value ``approval:<row id>``."""

from __future__ import annotations

from bot.ports import Button


def decision_buttons(kind: str, row_id: int, *, approve: bool = True) -> tuple[Button, ...]:
    """Both buttons, or Reject alone (``approve=False``: e.g. for the requester, who never approves their own)."""
    value = f"approval:{row_id}"
    reject = Button(f"{kind}.reject", "Reject", value, "danger")
    return (Button(f"{kind}.approve", "Approve", value, "primary"), reject) if approve else (reject,)
