"""Fixtures for Slack tests: the Slack double, the bolt app in-process, and the bot as a real process."""

from __future__ import annotations

import pytest

from bot.config.loader import ConfigPaths, load_config
from bot.incidents.service import IncidentService
from bot.scheduling.delivery import Dispatcher
from bot.slack.app import build_app
from bot.slack.client import make_client
from bot.slack.double import SlackDouble
from bot.slack.gateway import SlackGateway
from bot.slack.services import SlackServices
from tests.slack.harness import SECRET, BotProcess, SlackSender, make_config

REPORTER = "U0REPORT1"
ADMIN = "U0ADMIN01"
FEED_CHANNELS = ("incidents", "support-escalations", "exec-updates")


@pytest.fixture
def double():
    with SlackDouble() as d:
        d.model.lenient_users = True  # the shipped people.yaml names Slack ids the double has not seen
        d.model.add_user(REPORTER, "riley", "Europe/Berlin")
        d.model.add_user(ADMIN, "ada", "America/New_York")
        for name in FEED_CHANNELS:
            d.model.add_channel(name)
        yield d


@pytest.fixture
def world(store, clock, tmp_path):
    """(bolt app, services, double): the real app and services in this process, Slack a double.
    ``process_before_response=True``: each listener finishes inside ``dispatch``, and the outbox rows it
    wrote are delivered before it returns (``effects_written``)."""
    config_dir, playbooks_dir = make_config(tmp_path, admins=[ADMIN])
    config = load_config(ConfigPaths(config_dir, playbooks_dir))
    with SlackDouble() as double:
        double.model.lenient_users = True
        double.model.add_user(REPORTER, "riley", "Europe/Berlin")
        for name in FEED_CHANNELS:
            double.model.add_channel(name)
        client = make_client("xoxb-test", base_url=double.api_url, sleep=lambda s: None)
        chat = SlackGateway(client, store, clock, backoff=0.0, sleep=lambda s: None)
        outbox = Dispatcher(store, lambda: config, chat, clock)
        services = SlackServices(incidents=IncidentService(store, lambda: config, clock), chat=chat,
                                 config=lambda: config, clock=clock, effects_written=outbox.run_due)
        app = build_app(services, client, signing_secret=SECRET, process_before_response=True)
        yield app, services, double
        services.shutdown()


def _start(double, database_url, tmp_path, *, scheduler: bool, settings=None,
           extra_args: list[str] | None = None) -> BotProcess:
    config_dir, playbooks_dir = make_config(tmp_path, admins=[ADMIN], settings=settings)
    proc = BotProcess(api_url=double.api_url, database_url=database_url, config_dir=config_dir,
                      playbooks_dir=playbooks_dir, log_path=tmp_path / "bot.log", scheduler=scheduler,
                      extra_args=extra_args)
    try:
        proc.wait_ready()
    except BaseException:
        proc.stop()
        raise
    return proc


@pytest.fixture
def bot(double, database_url, tmp_path):
    """The bot as users run it: one process serving Slack and delivering the outbox (its scheduler)."""
    proc = _start(double, database_url, tmp_path, scheduler=True)
    yield proc
    proc.stop()


@pytest.fixture
def bot_with_scheduler(double, database_url, tmp_path):
    proc = _start(double, database_url, tmp_path, scheduler=True)
    yield proc
    proc.stop()


@pytest.fixture
def slack(bot, double) -> SlackSender:
    return SlackSender(f"{bot.url}/slack/events", f"{double.url}/webhook")


@pytest.fixture
def fast_bot(double, database_url, tmp_path):
    """The bot with its own scheduler on simulated time running 20,000 times faster (about 5.6 h a second)."""
    from datetime import datetime, timezone

    start = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    proc = _start(double, database_url, tmp_path, scheduler=True,
                  extra_args=["--clock-start", start, "--clock-speed", "20000"])
    proc.clock_start = start  # seconds of start-up are hours of simulated time: tests can name this instant
    yield proc
    proc.stop()
