"""The "Mark notified" form takes a reason, so a notification submitted earlier than the tolerance allows can be
asked for from Slack: it becomes a request a second person approves, as from the slash command.
In-process against the Slack double with signed requests."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.incidents.tables import ApprovalRequest
from tests.slack.conftest import ADMIN, REPORTER
from tests.slack.harness import text_value
from tests.slack.test_followup_form import _submit
from tests.slack.test_listeners import button, command


def _form(world, obligation_id: int) -> dict:
    _, _, double = world
    count = len([v for v in double.model.views if v["callback_id"] == "obligation.notified"])
    assert button(world, ADMIN, "obligation.notified", f"obligation:{obligation_id}") == 200
    return double.wait_for(lambda: [v for v in double.model.views
                                    if v["callback_id"] == "obligation.notified"][count:] or None, what="the form")[0]


def _values(submitted_at, reason: str = "") -> dict:
    values = {"reference": text_value("DPA-2026-0042"),
              "submitted_at": {"value": {"type": "datetimepicker", "selected_date_time": int(submitted_at.timestamp())}}}
    if reason:
        values["reason"] = text_value(reason)
    return values


def test_a_backdated_submission_with_a_reason_becomes_a_request_for_a_second_person(world, store, clock):
    _, services, double = world
    double.model.add_user(ADMIN, "ada", "America/New_York")  # an admin may mark duties notified
    assert command(world, "declare security Customer data exposed in a public bucket") == 200  # 09:00 UTC
    [gdpr] = [o for o in services.incidents.obligations(1, reader=REPORTER) if o.obligation == "gdpr.authority"]
    clock.set(clock.now() + timedelta(hours=3))
    # Submitted by phone at 10:00, recorded at 12:00: two hours earlier than now, more than the shipped
    # tolerance (config/permissions.yaml backdate_tolerance_minutes), after the clock started at 09:00.
    phoned = clock.now() - timedelta(hours=2)
    form = _form(world, gdpr.id)
    assert [b["block_id"] for b in form["blocks"] if b["type"] == "input"][-1] == "reason"
    answered = len(double.webhooks()) + len(double.calls())
    assert _submit(world, ADMIN, form, _values(phoned)) == {}
    told = " ".join([str(c.params.get("text", "")) for c in double.calls()]
                    + [w.body.get("text", "") for w in double.webhooks()])
    assert len(double.webhooks()) + len(double.calls()) > answered and "needs a reason" in told
    with store.session() as s:
        assert s.exec(select(ApprovalRequest)).all() == []  # nothing was requested without a reason
    form = _form(world, gdpr.id)
    assert _submit(world, ADMIN, form, _values(phoned, "submitted by phone, the portal receipt came later")) == {}
    with store.session() as s:
        [request] = s.exec(select(ApprovalRequest)).all()
    assert (request.action, request.requested_by) == ("mark_notified", ADMIN)
    assert request.reason == "submitted by phone, the portal receipt came later"
    assert [o.status for o in services.incidents.obligations(1, reader=REPORTER) if o.id == gdpr.id] != ["notified"]
