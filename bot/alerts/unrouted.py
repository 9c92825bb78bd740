"""An alert that pages nobody is told to the operators.

Triage disposes of an alert as ``unrouted`` when neither its route nor the
fallback could declare an incident or page a rota (a playbook or rotation
that a reload took away, a route that pages where it should declare).  The
alert group stays open and the disposition is on the chain; nobody is paged,
so the people who run the bot are told, once per alert group, in the unit of
work that records the disposition (:mod:`bot.outbox.operator_notices`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.outbox.operator_notices import tell_operators
from bot.ports import Notice


def tell_unrouted(session: Session, config: Any, group: Any, failures: list[str], at: datetime) -> bool:
    """The notice for ``group`` (an :class:`~bot.alerts.tables.AlertGroup` just disposed of as unrouted);
    False when it was told already."""
    lines = [f"Alert: {group.summary or group.key}"[:500],
             "Neither its route nor the fallback could open an incident or page anyone: "
             + "; ".join(failures)[:1500],
             "Fix config/alerts.yaml (and check it with `incident-bot check`): the alert group stays open, and a "
             "repeat of this alert is grouped into it, not paged. Page someone by hand if it needs a person now."]
    notice = Notice(kind="alert_unrouted", title=f"An alert from {group.source} paged nobody",
                    lines=tuple(lines),
                    fields=(("Alert group", f"#{group.id}"), ("Route", group.route or "-"), ("Source", group.source)),
                    metadata={"alert_group": str(group.id)})
    return tell_operators(session, config, cause=f"unrouted:{group.id}", notice=notice, at=at)
