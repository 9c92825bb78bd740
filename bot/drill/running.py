"""What a drill's steps and its summary see of the drill that runs them.

:class:`bot.drill.runner.Drill` runs the steps (:mod:`bot.drill.rest_story`, :mod:`bot.drill.learning_story`,
:mod:`bot.drill.summary`, :mod:`bot.drill.exercise_record`); they reach it through :class:`RunningDrill`,
so they import this module rather than the runner that imports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TextIO

from bot.config.loader import Config
from bot.drill.responders import Agenda
from bot.drill.stories import Story
from bot.drill.world import DrillWorld
from bot.learning.service import LearningService


@dataclass
class DrillOptions:
    playbook: str = "security"
    at: datetime | None = None  # None: the story's
    title: str | None = None  # None: the story's
    facts: dict[str, Any] | None = None  # None: the story's (those the regulations catalog knows)
    no_ack: list[str] | None = None  # person ids; None: as the story says (nobody, or the first person paged)
    reporter: str | None = None  # person id; default: the first commander candidate
    speed: float = 0.0
    database_url: str | None = None
    alert: str | None = None  # a file with an alert that opens the incident instead of a person


@dataclass
class DrillOutcome:
    started_at: datetime
    number: int
    messages: int
    closed: bool
    chain_ok: bool
    export_markdown: str


class SummarisedStep(Protocol):
    """A step that adds its lines to the drill's summary."""

    def print_summary(self, file: TextIO) -> None: ...


class LearningStep(SummarisedStep, Protocol):
    service: LearningService


class RunningDrill(Protocol):
    """The drill as its steps use it (:class:`bot.drill.runner.Drill`)."""

    config: Config
    options: DrillOptions
    out: TextIO
    story: Story
    at: datetime
    world: DrillWorld
    agenda: Agenda
    number: int
    actor: str
    holders: dict[str, str]
    rest_story: SummarisedStep
    learning_story: LearningStep

    def _deliver(self, outcome: Any) -> Any: ...
