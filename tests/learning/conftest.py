"""Fixtures for the learning phase: the shipped configuration (real rotas, labor rules, calendars) and services."""

from __future__ import annotations

import itertools
from datetime import datetime, timezone

import pytest

from bot.clock import ManualClock
from bot.config.loader import ConfigPaths, collect
from bot.incidents.service import IncidentService
from bot.learning.service import LearningService
from bot.scheduling.delivery import Dispatcher
from tests.conftest import REPO_ROOT
from tests.scheduling.fakes import FakeChat

ANNA, BRUNO, CARLA, KATRIN, NADIA, OLIVIA, LEA = ("U0ANNA001", "U0BRUNO01", "U0CARLA01", "U0KATRIN1", "U0NADIA01",
                                                  "U0OLIVIA1", "U0LEA0001")
UTC = timezone.utc


@pytest.fixture(scope="session")
def shipped():
    config, issues = collect(ConfigPaths(REPO_ROOT / "config", REPO_ROOT / "playbooks"))
    assert config is not None, "\n".join(str(i) for i in issues)
    return config


class World:
    """The shipped organisation on a manual clock: incidents, learning, a scheduler delivering to a fake chat."""

    def __init__(self, store, config, start: datetime) -> None:
        self.clock = ManualClock(start)
        self.chat = FakeChat()
        self.incidents = IncidentService(store, lambda: config, self.clock)
        self.learning = LearningService(store, lambda: config, self.clock)
        self.dispatcher = Dispatcher(store, lambda: config, self.chat, self.clock)
        self.store = store
        self._keys = itertools.count(1)

    def key(self) -> str:
        return f"k{next(self._keys)}"

    def at(self, when: datetime) -> None:
        """Move the clock to ``when`` and deliver everything due by then, in time order."""
        self.clock.set(when)
        self.dispatcher.run_due()

    def sent(self, prefix: str) -> list:
        return [m for m in self.chat.sent if m.key.startswith(prefix)]


@pytest.fixture
def world_at(store, shipped):
    return lambda start: World(store, shipped, start)
