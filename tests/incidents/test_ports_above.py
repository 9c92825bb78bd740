"""The lifecycle reaches the layers above it only through ports, and fails loudly when one is not provided.

Re-deriving an incident's reminder rows (``bot.outbox.resync``, provided by ``bot.scheduling``) and opening the
post-incident review at resolution (``bot.incidents.review_port``, provided by ``bot.learning``): a process
that changes an incident without them would silently lose pages, escalations, nudges and reviews, so the
operation raises an error naming the fix and its unit of work rolls back.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import select

from bot.incidents import review_port
from bot.incidents.tables import Incident
from bot.outbox import resync
from bot.outbox.tables import Reminder
from tests.incidents.conftest import REPORTER


def test_declaring_with_nothing_to_re_derive_reminders_fails_loudly_and_stores_nothing(service, keys, store,
                                                                                        monkeypatch):
    monkeypatch.setattr(resync, "_provided", None)
    with pytest.raises(resync.NoResyncProvided, match="import bot.scheduling"):
        service.declare("major", "Checkout is down", actor=REPORTER, key=keys())
    with store.session() as s:
        assert s.exec(select(Incident)).all() == []
        assert s.exec(select(Reminder)).all() == []


def test_an_alert_group_with_nothing_to_re_derive_its_pages_fails_loudly():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(resync, "_provided", None)
        with pytest.raises(resync.NoResyncProvided, match="alert group id 7: import bot.scheduling"):
            resync.sync_group(None, None, 7, datetime(2026, 12, 3, tzinfo=timezone.utc))  # type: ignore[arg-type]


def test_resolving_with_nothing_to_open_the_review_fails_loudly_and_keeps_the_incident_active(service, keys,
                                                                                             monkeypatch):
    number = service.declare("major", "Checkout is down", actor=REPORTER, key=keys()).incident.number
    monkeypatch.setattr(review_port, "_provided", None)
    with pytest.raises(review_port.NoReviewOpener, match="import bot.learning"):
        service.resolve(number, actor=REPORTER, key=keys(), summary="fixed")
    assert service.get(number, reader=REPORTER).status == "active"


def test_importing_the_layers_above_provides_both_ports():
    import bot.learning
    import bot.scheduling

    assert isinstance(resync.provided(), bot.scheduling.KindsResync)
    assert review_port.provided() is not None
