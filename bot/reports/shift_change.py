"""One shift a rota edit gives a person or takes away (:mod:`bot.reports.diff` finds them,
:mod:`bot.reports.advance_notice` judges how soon they were notified)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from bot.reports.timefmt import iso, local_iso, local_span


@dataclass(frozen=True)
class ShiftChange:
    change: Literal["gains", "loses"]
    person: str
    rotation: str
    zone: str
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600

    def describe(self) -> str:
        return f"{self.person} {self.change} {self.rotation} {local_span(self.start, self.end, self.zone)} ({self.hours:g} h)"

    def to_json(self) -> dict:
        return {"change": self.change, "person": self.person, "rotation": self.rotation, "zone": self.zone,
                "start": iso(self.start), "end": iso(self.end), "local_start": local_iso(self.start, self.zone),
                "local_end": local_iso(self.end, self.zone), "hours": round(self.hours, 2)}
