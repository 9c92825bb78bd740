"""What goes wrong with an alert outside any incident is told to the operators, once, not only logged.

* an ``unrouted`` alert (neither its route nor the fallback could declare or page): it pages nobody;
* an alert group's page that Slack refuses for good: the page escalates, and the operators hear why.

From tests/alerts/test_page_routes.py's world: a critical alert on Tuesday 2026-12-22 10:00 UTC pages anna.
"""

from __future__ import annotations

from sqlmodel import select

from bot.alerts.tables import AlertGroup
from bot.alerts.triage import Triage
from bot.audit.trail import verify_chain
from bot.incidents.errors import IncidentError
from bot.oncall.tables import Page
from bot.outbox.tables import Reminder
from bot.ports import ChatError
from tests.alerts.test_page_routes import ANNA, day, page_config  # noqa: F401 - the fixtures


class RefusingIncidents:
    """An incident service whose playbooks went away in a reload: every declaration is refused."""

    def declare(self, *args, **kwargs):
        raise IncidentError('unknown playbook "sev2"')


def _operator_rows(store):
    with store.session() as s:
        return list(s.exec(select(Reminder).where(Reminder.key.startswith("operators:"))  # type: ignore[attr-defined]
                           .order_by(Reminder.id)).all())


def test_an_alert_no_route_can_declare_is_told_once(day):  # noqa: F811
    day.triage = Triage(day.store, lambda: day.config, day.clock, RefusingIncidents())
    [unrouted] = day.alert(severity="error")  # the route declares sev2; the fallback sev4
    assert unrouted.kind == "unrouted"
    [row] = _operator_rows(day.store)
    assert (row.key, row.kind, row.incident_id, row.recipient) == \
        (f"operators:unrouted:{unrouted.group}", "post", None, "#incidents")
    day.alert(severity="error")  # fires again: grouped into the open group, not told again
    assert len(_operator_rows(day.store)) == 1
    day.worker.run_due()
    [told] = [m for m in day.chat.sent if m.key == row.key]
    text = told.notice.as_text()
    assert told.to == day.chat.channel_id("#incidents")
    assert f"Alert group: #{unrouted.group}" in text and "Route: " in text
    assert 'unknown playbook "sev2"' in text and "fix config/alerts.yaml" in text.lower()
    with day.store.session() as s:
        assert verify_chain(s, None).ok


def test_an_alert_whose_rota_went_away_is_told_once(day, monkeypatch):  # noqa: F811
    import bot.oncall.planner as planner

    def gone(team, target):
        raise KeyError(f"no rotation or escalation policy {target!r}")

    monkeypatch.setattr(planner, "resolve_policy", gone)
    [unrouted] = day.alert(severity="warning")  # a page route: platform
    assert unrouted.kind == "unrouted"
    [row] = _operator_rows(day.store)
    assert row.key == f"operators:unrouted:{unrouted.group}"
    lines = "\n".join(row.payload["notice"]["lines"])
    assert "no rotation or escalation policy 'platform'" in lines


def test_an_alert_page_slack_refuses_is_told_to_the_operators_once(day):  # noqa: F811
    [paged] = day.alert(severity="critical")
    day.chat.fail_next.append(ChatError("Slack refused posting a page message: user_not_found", code="user_not_found"))
    day.worker.run_due()  # anna's page fails for good: the page escalates at once, the operators are told
    [anna_page] = [p for p in day.rows(Page) if p.slack_user == ANNA]
    with day.store.session() as s:
        failed = s.exec(select(Reminder).where(Reminder.key == f"page:{anna_page.id}:send")).one()
    assert failed.state == "failed"
    [row] = _operator_rows(day.store)
    assert row.key == f"operators:failed:{failed.id}" and row.state == "sent"
    [told] = [m for m in day.chat.sent if m.key == row.key]
    text = told.notice.as_text()
    assert "user_not_found" in text and "Kind: alert_page" in text and f"Recipient: {ANNA}" in text
    assert "The next person on the escalation path is paged instead." in text
    assert len([p for p in day.rows(Page) if p.status in ("planned", "held", "sent")]) >= 1  # someone else is paged
    day.worker.run_due()
    assert len(_operator_rows(day.store)) == 1
    assert day.rows(AlertGroup)[0].id == paged.group
