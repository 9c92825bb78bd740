"""What a person does with a receipt triage set aside (:mod:`bot.alerts.set_aside`): list them, put one back to
be triaged, or dismiss it.  ``incident-bot alerts`` is their command line (:mod:`bot.cli.commands.alerts`).

* **Put back** (``retriage``): the receipt's state is ``accepted`` again, its ``done`` as it was, so the next
  triage pass takes it, in the order of the receipts' ids, from its first alert not triaged; if its triage
  fails again as often it is set aside again, with a new ``alert.set_aside`` event.
* **Dismissed**: the receipt gets the terminal state ``dismissed``: triage never takes it, ``check`` no longer
  reports it, and the retention purge deletes it like a triaged one (an accepted alert is kept until then).
  Its alerts not triaged stay so: nobody is paged for them (a person handled them in their sender).

Each writes its event on the global chain (``alert.retriaged`` / ``alert.dismissed``: the receipt, who, why)
in the transaction of the state change, written as triage writes progress
(:class:`~bot.alerts.receipts.Receipts`: on PostgreSQL the receipt's own row; on SQLite ``alert_progress`` in
the main database, then copied to the inbox file, the put back one before that transaction commits as well).
Refused, with nothing written: an unknown receipt, one that is not set aside, no name or no reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import select

from bot.alerts.batch import Receipt, one_at_a_time
from bot.alerts.receipts import Receipts
from bot.alerts.set_aside import SET_ASIDE
from bot.audit.trail import append_event

RETRIAGED, DISMISSED = "retriaged", "dismissed"


class Refused(Exception):
    """Nothing was written: the message says why."""


@dataclass(frozen=True)
class SetAside:
    """A receipt set aside and not dealt with yet, and what its last ``alert.set_aside`` event says."""

    receipt: int
    source: str
    format: str
    received_at: datetime
    events: int
    untriaged: int
    attempts: int | None  # None: its event is not found (e.g. its data purged)
    error_class: str | None
    raised_at: str | None


def set_aside_now(store: Any) -> list[SetAside]:
    """The receipts set aside and not dealt with yet, oldest first."""
    from bot.audit.tables import TimelineEvent
    from bot.clock import ensure_utc

    rows = Receipts.of(store).set_aside()
    told: dict[int, dict[str, Any]] = {}
    if rows:
        with store.session() as s:
            for event in s.exec(select(TimelineEvent).where(TimelineEvent.kind == f"alert.{SET_ASIDE}")
                                .order_by(TimelineEvent.id)):  # type: ignore[arg-type]
                data = event.data or {}
                if isinstance(data.get("receipt"), int):
                    told[data["receipt"]] = data  # the last one: a receipt put back may be set aside again
    found = []
    for row in rows:
        data = told.get(row.id, {})
        error = data.get("error") if isinstance(data.get("error"), dict) else {}
        found.append(SetAside(row.id, row.source, row.format, ensure_utc(row.received_at), len(row.events),
                              data.get("untriaged", len(row.events) - row.done), data.get("attempts"),
                              error.get("class"), error.get("raised_at", error.get("message"))))
    return found


def retriage(store: Any, receipt_id: int, *, by: str, reason: str, now: datetime) -> Receipt:
    """Put the set-aside receipt back to be triaged (see the module docstring); returns it as written."""
    return _deal_with(store, receipt_id, RETRIAGED, by, reason, now)


def dismiss(store: Any, receipt_id: int, *, by: str, reason: str, now: datetime) -> Receipt:
    """Dismiss the set-aside receipt (see the module docstring); returns it as written."""
    return _deal_with(store, receipt_id, DISMISSED, by, reason, now)


def _deal_with(store: Any, receipt_id: int, action: str, by: str, reason: str, now: datetime) -> Receipt:
    by, reason = by.strip(), reason.strip()
    if not by:
        raise Refused("--by: say who deals with the receipt (your name); nothing was written")
    if not reason:
        raise Refused("--reason: say why (it goes on the audit chain); nothing was written")
    places = Receipts.of(store)
    stored = places.state_of(receipt_id)
    if stored is None:
        raise Refused(f"no alert receipt {receipt_id} (never accepted, or deleted by the retention purge once "
                      "triaged); `incident-bot alerts set-aside` lists those set aside; nothing was written")
    row = next((r for r in places.set_aside() if r.id == receipt_id), None)
    if row is None:
        raise Refused(f"alert receipt {receipt_id} is not set aside (it is {stored}): only a receipt triage set "
                      "aside can be put back or dismissed; nothing was written")
    with store.session() as s:
        one_at_a_time(s)  # no triage transaction in between (PostgreSQL; SQLite: BEGIN IMMEDIATE)
        receipt = Receipt(row.id, row.source, row.format, [], row.done, row.state)
        places.lock_progress(s, [receipt])  # as triage has it now (SQLite: alert_progress decides)
        if receipt.state != SET_ASIDE:
            if row.state != receipt.state:  # SQLite: the inbox copy was behind (a crash before it): now it is not
                places.copy_progress([receipt])
            raise Refused(f"alert receipt {receipt_id} is not set aside (it is {receipt.state}); nothing was "
                          "written on the chain")
        untriaged = len(row.events) - receipt.done
        data = {"receipt": receipt.id, "source": receipt.source, "format": receipt.format, "by": by,
                "reason": reason, "events": len(row.events), "untriaged": untriaged}
        if action == RETRIAGED:
            receipt.state, receipt.triaged_at = "accepted", None
            places.put_back(s, receipt)
            summary = (f"alert receipt {receipt.id} from {receipt.source}, set aside, put back to be triaged by {by}: "
                       f"{reason}; the next triage pass takes its {untriaged} alert(s) not triaged")
        else:
            receipt.state = DISMISSED
            places.write_progress(s, [receipt])
            summary = (f"alert receipt {receipt.id} from {receipt.source}, set aside, dismissed by {by}: {reason}; "
                       f"its {untriaged} alert(s) not triaged stay so, nobody is paged for them; the receipt is "
                       "kept until the retention purge")
        append_event(s, incident_id=None, actor=by, kind=f"alert.{action}", at=now, summary=summary[:4000],
                     data=data)
    return receipt
