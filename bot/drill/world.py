"""Everything a drill runs on: a throw-away database, the local Slack double, the real
gateway, lifecycle service and scheduler, the pager (the Twilio double and the inbound
webhooks, bot/drill/pager.py), all on one simulated clock."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.clock import ManualClock, ensure_utc
from bot.config.loader import Config
from bot.drill.pager import DrillPager
from bot.drill.transcript import RecordingChat
from bot.incidents.service import IncidentService
from bot.oncall.directory import person_by_slack, person_timezone, slack_user_of
from bot.scheduling.scheduler import ReminderScheduler
from bot.slack.client import make_client
from bot.slack.double import SlackDouble
from bot.slack.double.seed import seed
from bot.slack.gateway import SlackGateway
from bot.slack.services import SlackServices
from bot.store import migrate
from bot.store.database import Store

BOT_TOKEN = "xoxb-drill"


@dataclass
class DrillWorld:
    config: Config
    clock: ManualClock
    store: Store
    double: SlackDouble
    chat: RecordingChat
    incidents: IncidentService
    slack: SlackServices
    scheduler: ReminderScheduler
    pager: DrillPager
    tmpdir: tempfile.TemporaryDirectory | None

    def person_of(self, slack_user: str) -> str:
        return person_by_slack(self.config, slack_user) or slack_user

    def slack_of(self, person: str) -> str:
        return slack_user_of(self.config, person)

    def close(self) -> None:
        self.pager.close()
        self.store.dispose()
        self.double.stop()
        if self.tmpdir is not None:
            self.tmpdir.cleanup()


def build_world(config: Config, start: datetime, *, database_url: str | None = None) -> DrillWorld:
    tmpdir = None
    if database_url is None:
        tmpdir = tempfile.TemporaryDirectory(prefix="incident-drill-")
        database_url = f"sqlite:///{Path(tmpdir.name) / 'drill.db'}"
    store = Store.connect(database_url)
    migrate.upgrade(store.engine)
    clock = ManualClock(start)

    double = SlackDouble(token=BOT_TOKEN).start()
    seed(double.model, config)

    def describe(slack_user: str) -> tuple[str, str]:
        person = person_by_slack(config, slack_user)
        if person is None:
            return slack_user, config.settings.timezone
        return person, person_timezone(config, person)

    gateway = SlackGateway(make_client(BOT_TOKEN, base_url=double.api_url), store, clock)
    chat = RecordingChat(gateway, clock, describe_user=describe, default_zone=config.settings.timezone)
    incidents = IncidentService(store, lambda: config, clock)
    slack = SlackServices(incidents=incidents, chat=chat, config=lambda: config, clock=clock)  # type: ignore[arg-type]
    pager = DrillPager(config, store, clock, incidents, zone_of=lambda person: person_timezone(config, person))
    scheduler = ReminderScheduler(store, lambda: config, chat, clock,  # type: ignore[arg-type]
                                  notifications=pager.notifications)
    return DrillWorld(config, clock, store, double, chat, incidents, slack, scheduler, pager, tmpdir)


def earliest_pending(world: DrillWorld) -> datetime | None:
    """When the scheduler next has something to deliver (by the simulated clock): a Slack effect or a page's
    SMS, call or email step."""
    from sqlmodel import func, select

    from bot.notify.tables import Notification
    from bot.outbox.tables import Reminder

    with world.store.session() as s:
        due = [s.exec(select(func.min(Reminder.next_attempt_at)).where(Reminder.state == "pending")).one(),
               s.exec(select(func.min(Notification.next_attempt_at)).where(Notification.state == "pending")).one()]
    found = [ensure_utc(d) for d in due if d is not None]
    return min(found) if found else None


def role_candidates(config: Config, role: str) -> list[str]:
    from bot.oncall.directory import role_deputies

    try:
        return role_deputies(config, role)
    except KeyError:
        return []
