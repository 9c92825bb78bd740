"""Fixtures for Slack tests: the Slack double and the bot as a real process against it."""

from __future__ import annotations

import pytest

from bot.slack.double import SlackDouble
from tests.slack.harness import BotProcess, SlackSender, make_config

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
    yield proc
    proc.stop()
