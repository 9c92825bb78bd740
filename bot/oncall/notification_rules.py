"""Notification rules: how a page reaches a person, method by method, as time passes without an answer.

A rule is a list of steps per urgency, each a method and a delay from the moment the page goes out:

    high: [{method: slack, after: 0m}, {method: sms, after: 2m}, {method: voice, after: 5m}]
    low:  [{method: slack, after: 0m}, {method: email, after: 0m}]

The organisation's defaults live in ``config/people.yaml`` (``notification_rules``, else
:data:`DEFAULT_RULES`); a person's own ``notify`` replaces them per urgency.  For high urgency the
organisation's ``high_minimum`` always applies: a person may add methods or make them earlier, never
drop or delay one (:func:`effective_steps` merges the two, and ``bot check`` says when a person's rule
tries to loosen it).  Slack is always the first step at 0 minutes: the Slack message carries the buttons
and is the page record the others point to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema, field_validator, model_validator

from bot.config.types import ConfigModel, parse_duration

METHODS = ("slack", "sms", "voice", "email")
Method = Literal["slack", "sms", "voice", "email"]
PHONE_METHODS = ("sms", "voice")
METHOD_NAMES = {"sms": "SMS", "voice": "a call", "email": "email"}  # in messages: "Trying a call next."


def _parse_delay(value: Any) -> timedelta:
    """A step's delay: "0m" (at once) or a duration of whole minutes like every other in the config."""
    if isinstance(value, str) and value.strip().lower() in ("0", "0m", "0min", "0s", "pt0m", "pt0s"):
        return timedelta(0)
    return parse_duration(value)


Delay = Annotated[
    timedelta,
    BeforeValidator(_parse_delay),
    PlainSerializer(lambda td: f"{int(td.total_seconds() // 60)}m", return_type=str),
    WithJsonSchema({"type": "string", "description": 'delay in whole minutes: "0m" (at once), "2m", "1h"'}),
]


class Step(ConfigModel):
    method: Method
    after: Delay = Field(timedelta(0), description='delay from the page going out, e.g. "2m"; "0m" at once')

    @field_validator("after")
    @classmethod
    def _not_negative(cls, value: timedelta) -> timedelta:
        if value < timedelta(0) or value > timedelta(hours=24):
            raise ValueError(f"expected a delay between 0m and 24h, got {value}")
        return value


def _first_slack(steps: list[Step], where: str) -> list[Step]:
    slack = [s for s in steps if s.method == "slack"]
    if slack and any(s.after != timedelta(0) for s in slack):
        raise ValueError(f"expected slack at 0m in {where} (the Slack message is the page itself), "
                         f"got slack after {slack[0].after}")
    seen: set[tuple[str, timedelta]] = set()
    for s in steps:
        if (s.method, s.after) in seen:
            raise ValueError(f"expected each step once in {where}, got {s.method} after {s.after} twice")
        seen.add((s.method, s.after))
    return steps


class UrgencyRules(ConfigModel):
    high: list[Step] | None = Field(None, description="steps for high-urgency pages (default: the organisation's)")
    low: list[Step] | None = Field(None, description="steps for low-urgency pages (default: the organisation's)")

    @model_validator(mode="after")
    def _slack_first(self) -> "UrgencyRules":
        for name in ("high", "low"):
            steps = getattr(self, name)
            if steps is not None:
                _first_slack(steps, name)
        return self


class OrganisationRules(ConfigModel):
    high: list[Step] = Field(default_factory=lambda: [Step(method="slack"), Step(method="sms", after="2m"),
                                                       Step(method="voice", after="5m")])
    low: list[Step] = Field(default_factory=lambda: [Step(method="slack"), Step(method="email")])
    high_minimum: list[Step] = Field(default_factory=lambda: [Step(method="sms", after="5m")],
                                     description="what every person's high-urgency rule includes at the latest")

    @model_validator(mode="after")
    def _slack_first(self) -> "OrganisationRules":
        _first_slack(self.high, "high")
        _first_slack(self.low, "low")
        return self


DEFAULT_RULES = OrganisationRules()


# A contact's error never repeats the value: it goes to the log, to the operations channel and, as a rejected
# edit, onto the global chain (bot/audit/config_rejections.py); the file, line and column say where it is.
NOT_REPEATED = "(not repeated here: it is personal data)"


class Contact(ConfigModel):
    """How to reach a person outside Slack. Personal data: masked in logs, removed by purge."""

    phone: str | None = Field(None, description='E.164, e.g. "+4915112345678"')
    phone_verified: bool = Field(False, description="a test page reached this phone and was confirmed")
    email: str | None = None
    email_verified: bool = False

    @field_validator("phone", "email", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        """An unquoted number is refused here: the generic message would quote it."""
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            raise ValueError(f"expected text (quote it if it looks like a number), got a number {NOT_REPEATED}")
        return value

    @field_validator("phone")
    @classmethod
    def _e164(cls, value: str | None) -> str | None:
        if value is None:
            return None
        compact = value.replace(" ", "").replace("-", "")
        if not (compact.startswith("+") and compact[1:].isdigit() and 8 <= len(compact) <= 16):
            raise ValueError(f'expected a phone number in E.164 form like "+4915112345678", got other text '
                             f"{NOT_REPEATED}")
        return compact

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return None
        local, _, domain = value.partition("@")
        if not local or "." not in domain or any(c.isspace() for c in value):
            raise ValueError(f'expected an email address like "anna@example.org", got other text {NOT_REPEATED}')
        return value

    def address(self, method: str) -> str | None:
        if method in PHONE_METHODS:
            return self.phone
        if method == "email":
            return self.email
        return None


@dataclass(frozen=True)
class PlannedStep:
    method: str
    after: timedelta
    raised_by_minimum: bool = False  # the organisation's minimum made it earlier or added it


def effective_steps(org: OrganisationRules, own: UrgencyRules | None, urgency: str) -> list[PlannedStep]:
    """The steps that apply to one person for one urgency, in time order (Slack first)."""
    chosen = (getattr(own, urgency, None) if own else None) or getattr(org, urgency if urgency in ("high", "low")
                                                                       else "high")
    steps = {(s.method, s.after): PlannedStep(s.method, s.after) for s in chosen}
    if urgency == "high":
        for minimum in org.high_minimum:
            same = [s for s in steps.values() if s.method == minimum.method]
            if not any(s.after <= minimum.after for s in same):
                steps[(minimum.method, minimum.after)] = PlannedStep(minimum.method, minimum.after, True)
    if not any(m == "slack" for m, _ in steps):
        steps[("slack", timedelta(0))] = PlannedStep("slack", timedelta(0))
    return sorted(steps.values(), key=lambda s: (s.after, METHODS.index(s.method)))


def loosened(org: OrganisationRules, own: UrgencyRules | None) -> list[str]:
    """What a person's high-urgency rule drops or delays from the organisation's minimum (for ``bot check``)."""
    if own is None or own.high is None:
        return []
    out = []
    for minimum in org.high_minimum:
        same = [s.after for s in own.high if s.method == minimum.method]
        if not same:
            out.append(f"drops {minimum.method} (the organisation's minimum: {minimum.method} by "
                       f"{int(minimum.after.total_seconds() // 60)}m)")
        elif min(same) > minimum.after:
            out.append(f"delays {minimum.method} to {int(min(same).total_seconds() // 60)}m (the organisation's "
                       f"minimum: by {int(minimum.after.total_seconds() // 60)}m)")
    return out
