"""An alert group's page answered through the real listener (``alert.ack``): the paged person acknowledges and
the group is acknowledged on the chain; anyone else is refused and nothing changes."""

from __future__ import annotations

from sqlmodel import select

from bot.alerts.config import Route
from bot.alerts.events import AlertEvent
from bot.alerts.paging import page_group
from bot.alerts.tables import AlertGroup
from bot.audit.tables import TimelineEvent
from bot.oncall.tables import Page
from tests.slack.conftest import REPORTER
from tests.slack.test_listeners import button


def test_the_paged_person_acknowledges_an_alert_group_page_in_slack(world, store, clock):
    _app, services, _double = world
    now = clock.now()
    with store.session() as s:
        group = AlertGroup(source="scripts", key="disk", open_key="disk", status="open", summary="Disk full",
                           route="routes[0]", alerts=1, opened_at=now, last_at=now, labels={"severity": "critical"})
        s.add(group)
        s.flush()
        page_group(s, services.config(), group, Route(page="platform-escalation", urgency="high"),
                   AlertEvent(action="trigger", key="disk", summary="Disk full", severity="critical"), now,
                   actor="alerts:scripts")
        group_id = group.id
    with store.session() as s:
        [page] = s.exec(select(Page).where(Page.alert_group_id == group_id)).all()
    assert page.status == "planned" and page.slack_user != REPORTER

    assert button(world, REPORTER, "alert.ack", f"page:{page.id}") == 200  # not the paged person: refused
    with store.session() as s:
        assert s.get(Page, page.id).status in ("planned", "sent")
        assert s.get(AlertGroup, group_id).status == "open"

    assert button(world, page.slack_user, "alert.ack", f"page:{page.id}") == 200
    with store.session() as s:
        assert s.get(Page, page.id).status == "acked"
        assert s.get(AlertGroup, group_id).status == "acknowledged"
        [event] = s.exec(select(TimelineEvent).where(TimelineEvent.kind == "alert_group.acknowledged")).all()
        assert (event.actor, event.chain, event.data["group"]) == (page.slack_user, "global", group_id)
