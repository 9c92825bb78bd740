"""Delays a law allows on a recorded notice: the due time moves only when someone records the notice.

A delay is data on the obligation it can postpone::

    delays:
      - id: attorney_general
        title: "Attorney General determination: substantial risk to national security or public safety"
        steps: ["30d", "30d", "60d"]       # the most each consecutive notice may add
        beyond: "SEC exemptive order"      # further delay only by this, recorded like a notice, no cap
        citation: "Form 8-K Item 1.05(c)"

Each recorded notice (:class:`DelayNotice`) names the time the authority specified.  The first may
reach at most ``steps[0]`` past the time the notice was otherwise due, the second ``steps[1]`` past the
end of the first, and so on; one more needs the ``beyond`` instrument.  Asking for a delay changes
nothing (SEC C&DI 104B.01): only a recorded notice does, and the reason names it with its own citation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from bot.clock import ensure_utc
from bot.config.types import ConfigModel, Duration, Identifier
from bot.deadlines.rules import Due


class DelaySpec(ConfigModel):
    id: Identifier = Field(description="e.g. attorney_general")
    title: str = Field(min_length=1, description="what the notice is, in words")
    steps: list[Duration] = Field(default_factory=list, description="the most each consecutive notice may add, in order")
    beyond: str = Field(default="", description="what allows a delay after the last step, without a limit in law "
                                                "(e.g. an exemptive order); empty: no further delay")
    citation: str = Field(min_length=1)
    note: str = ""

    @model_validator(mode="after")
    def _some_delay(self) -> "DelaySpec":
        if not self.steps and not self.beyond:
            raise ValueError('expected "steps" (e.g. ["30d", "30d", "60d"]) or "beyond" (what allows a delay), got neither')
        return self


@dataclass(frozen=True)
class DelayNotice:
    """A recorded delay notice: the authority's notice moved the due time to ``until``."""

    delay: str  # DelaySpec.id
    until: datetime  # aware UTC
    reference: str = ""
    recorded_by: str = ""
    recorded_at: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {"delay": self.delay, "until": ensure_utc(self.until).isoformat(), "reference": self.reference,
                "recorded_by": self.recorded_by,
                "recorded_at": ensure_utc(self.recorded_at).isoformat() if self.recorded_at else None}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "DelayNotice":
        at = data.get("recorded_at")
        return cls(delay=str(data["delay"]), until=ensure_utc(datetime.fromisoformat(str(data["until"]))),
                   reference=str(data.get("reference") or ""), recorded_by=str(data.get("recorded_by") or ""),
                   recorded_at=ensure_utc(datetime.fromisoformat(str(at))) if at else None)


class DelayRefused(ValueError):
    """A notice the law does not allow (too long, unknown kind, or not later than the current due time)."""


def _days(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:g} days" if days >= 1 else f"{delta.total_seconds() / 3600:g} h"


def _within(until: datetime, end: datetime, step: timedelta, zone: ZoneInfo) -> bool:
    """Whole days are counted on the local calendar ("up to 30 days following the date"), shorter steps elapsed."""
    if step % timedelta(days=1) == timedelta(0):
        return until.astimezone(zone).date() <= end.astimezone(zone).date() + step
    return until <= end + step


def check_notice(specs: Iterable[DelaySpec], notices: list[DelayNotice], new: DelayNotice, due_before: datetime,
                 zone: ZoneInfo, fmt_time: Any = None) -> None:
    """Raise :class:`DelayRefused` unless ``new`` may follow ``notices`` (due time without delays: ``due_before``);
    day limits are counted on the local calendar of ``zone``."""
    by_id = {s.id: s for s in specs}
    spec = by_id.get(new.delay)
    if spec is None:
        known = ", ".join(by_id) or "none"
        raise DelayRefused(f'unknown delay "{new.delay}" for this obligation; the law allows: {known}')
    show = fmt_time or (lambda t: f"{t:%Y-%m-%d %H:%M} UTC")
    same = [n for n in notices if n.delay == spec.id]
    end = max([ensure_utc(due_before)] + [ensure_utc(n.until) for n in same])
    until = ensure_utc(new.until)
    if until <= end:
        raise DelayRefused(f"the notice must move the due time later than {show(end)}, got {show(until)}")
    index = len(same)
    if index < len(spec.steps):
        step = spec.steps[index]
        if not _within(until, end, step, zone):
            last = (end.astimezone(zone).date() + step).isoformat() if step % timedelta(days=1) == timedelta(0) \
                else show(end + step)
            raise DelayRefused(f"notice {index + 1} under {spec.citation} may add at most {_days(step)} after "
                               f"{show(end)} (until {last}), got {show(until)}")
    elif not spec.beyond:
        raise DelayRefused(f"{spec.citation} allows no more than {len(spec.steps)} notice(s); "
                           "the obligation stays due at " + show(end))
    elif not new.reference.strip():
        raise DelayRefused(f"a delay beyond the last step needs {spec.beyond}: give its reference")


def apply_delays(due: Due, specs: Iterable[DelaySpec], notices: Iterable[DelayNotice], zone: ZoneInfo,
                 fmt_time: Any) -> Due:
    """The due time after the recorded notices (each checked against the law's limits in order)."""
    specs = list(specs)
    by_id = {s.id: s for s in specs}
    accepted: list[DelayNotice] = []
    steps = list(due.steps)
    at = due.at
    for notice in sorted(notices, key=lambda n: (n.recorded_at or n.until, n.until)):
        spec = by_id.get(notice.delay)
        try:
            check_notice(specs, accepted, notice, due.at, zone, fmt_time)
        except DelayRefused as exc:
            steps.append(f"recorded delay {notice.delay} ({notice.reference or 'no reference'}) not applied: {exc}")
            continue
        accepted.append(notice)
        at = max(at, ensure_utc(notice.until))
        ref = f", reference {notice.reference}" if notice.reference else ""
        which = len([n for n in accepted if n.delay == notice.delay])
        beyond = f" ({spec.beyond})" if spec and which > len(spec.steps) else ""
        steps.append(f"delayed to {fmt_time(at)} by {spec.title if spec else notice.delay}{beyond} "
                     f"(notice {which}{ref}; {spec.citation if spec else ''})")
    return Due(at, due.estimated, due.window_start, tuple(steps))
