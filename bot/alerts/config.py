"""``config/alerts.yaml``: where alerts come from, where they go, and when nobody is woken.

* ``sources``: one per sender, with its wire format and the environment
  variable holding its token (the token itself never appears in a file; only
  its SHA-256 is kept in memory, see :mod:`bot.alerts.sources`).
* ``routes``: first match wins; each either declares an incident with a
  playbook (the playbook's paging plan pages its rota, labor-aware) or pages a
  rotation or escalation policy with an urgency, without an incident (the same
  labor-aware planner; :mod:`bot.alerts.paging`).  ``fallback`` takes what no
  route matched: nothing is dropped.
* ``grouping``: the key (the sender's own, or chosen labels) and the window
  in which a resolved group that fires again is reopened (flapping) instead
  of paging again.
* ``silences`` and ``maintenance``: matchers with a time span, a reason and
  an owner; a matching alert is recorded as suppressed and pages nobody.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.config.types import ConfigModel, Duration, Identifier

Matchers = dict[str, str | list[str]]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f'expected a time with its offset like "2027-01-05T18:00:00+01:00", got "{value.isoformat()}"')
    return value


class Source(ConfigModel):
    id: Identifier = Field(description='any id but "heartbeats" (the source of the heartbeat monitors\' alerts)')
    format: Literal["alertmanager", "grafana", "pagerduty", "generic"]
    token_env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$",
                           description="environment variable holding the source's token (never the token itself)")
    group_by: list[str] = Field(default_factory=list,
                                description="labels forming the grouping key instead of the sender's own key")

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == "heartbeats":
            raise ValueError('expected a source id other than "heartbeats" (the heartbeat monitors use it), got "heartbeats"')
        return value


Urgency = Literal["high", "low"]


class Route(ConfigModel):
    """Exactly one of ``declare`` (open an incident with that playbook) or ``page`` (page a rota, no incident)."""

    match: Matchers = Field(default_factory=dict, description="label -> value (or list of values); all must match")
    sources: list[Identifier] = Field(default_factory=list, description="only alerts from these sources (all if empty)")
    declare: Identifier | None = Field(default=None, description="playbook (severity) of the incident the alert group opens")
    commander: Identifier | None = Field(default=None,
                                         description="with declare: person (people.yaml) who holds the incident roles "
                                                     "given to the reporter")
    page: Identifier | None = Field(default=None, description="rotation or escalation policy (rotas.yaml) paged "
                                                              "without an incident")
    urgency: Urgency = Field(default="high", description="with page: high pages now; low is held to working hours")
    severity_urgency: dict[str, Urgency] = Field(default_factory=dict,
                                                 description="with page: the alert's severity label -> urgency, "
                                                             "over the route's urgency")
    declare_with: Identifier | None = Field(default=None,
                                            description="with page: playbook of the incident the page's Declare "
                                                        "incident button opens (default: the fallback's)")

    @model_validator(mode="after")
    def _one_action(self) -> "Route":
        if (self.declare is None) == (self.page is None):
            raise ValueError("expected exactly one of declare (a playbook: open an incident) or page (a rotation or "
                             "escalation policy: page without an incident), got "
                             + ("both" if self.declare else "neither"))
        if self.declare is not None and self.commander is None:
            raise ValueError(f'expected a commander (a person from people.yaml) with declare: {self.declare}, got none')
        if self.declare is not None and ("urgency" in self.model_fields_set or self.severity_urgency):
            raise ValueError(f"expected urgency and severity_urgency only with page (declare: {self.declare}: the "
                             "playbook's paging plan sets the urgency), got them with declare")
        if self.declare is not None and self.declare_with is not None:
            raise ValueError(f"expected declare_with only with page (declare: {self.declare} declares already), "
                             f"got declare_with: {self.declare_with}")
        if self.page is not None and self.commander is not None:
            raise ValueError(f"expected no commander with page: {self.page} (a page opens no incident), "
                             f"got commander: {self.commander}")
        return self

    def urgency_for(self, severity: str | None) -> Urgency:
        """The page's urgency: the alert's severity label where ``severity_urgency`` maps it, else the route's."""
        return self.severity_urgency.get(severity or "", self.urgency)


class Window(ConfigModel):
    id: Identifier
    match: Matchers = Field(default_factory=dict)
    sources: list[Identifier] = Field(default_factory=list)
    starts: datetime
    ends: datetime
    reason: str = Field(min_length=1)
    owner: Identifier = Field(description="person (people.yaml) answerable for the window")

    _aware_starts = field_validator("starts", "ends")(_aware)

    @model_validator(mode="after")
    def _ordered(self) -> "Window":
        if self.ends <= self.starts:
            raise ValueError(f"expected ends after starts, got {self.starts.isoformat()} to {self.ends.isoformat()}")
        return self


class Heartbeat(ConfigModel):
    """A dead man's switch: ``/heartbeat/<id>`` must be called at least every ``every``, else an alert fires."""

    id: Identifier
    every: Duration = Field(description="longest expected gap between beats (5m to 375d)")
    token_env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$", description="environment variable holding its token")
    summary: str = Field(default="", description="summary of the alert raised when a beat is missed")
    labels: dict[str, str] = Field(default_factory=dict, description="labels of that alert (routes match them)")
    muted: str | None = Field(default=None, min_length=1,
                              description="reason it is muted: a missed beat is recorded as suppressed, nobody paged")

    @field_validator("every")
    @classmethod
    def _span(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=5) <= value <= timedelta(days=375):
            raise ValueError(f"expected a duration between 5m and 375d, got {value}")
        return value


class Grouping(ConfigModel):
    window: Duration = timedelta(minutes=5)


class Limits(ConfigModel):
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)


class AlertsFile(ConfigModel):
    sources: list[Source] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)
    fallback: Route
    grouping: Grouping = Grouping()
    silences: list[Window] = Field(default_factory=list)
    maintenance: list[Window] = Field(default_factory=list)
    heartbeats: list[Heartbeat] = Field(default_factory=list)
    limits: Limits = Limits()

    @model_validator(mode="after")
    def _unique(self) -> "AlertsFile":
        for what, items in (("source", self.sources), ("silence", self.silences), ("maintenance window", self.maintenance),
                            ("heartbeat", self.heartbeats)):
            ids = [i.id for i in items]
            dup = sorted({i for i in ids if ids.count(i) > 1})
            if dup:
                raise ValueError(f"expected unique {what} ids, got {', '.join(dup)} more than once")
        return self


def cross_check(config) -> list:
    """Routes name playbooks and people that exist; windows and routes name known sources."""
    issues = []
    playbooks = {p.id for p in config.all("playbook")}
    people = _people(config)
    rotas = _rotas(config)
    for loaded in config.loaded("alerts"):
        model: AlertsFile = loaded.model
        sources = {s.id for s in model.sources} | {"heartbeats"}
        for where, route in [*((("routes", i), r) for i, r in enumerate(model.routes)), (("fallback",), model.fallback)]:
            if route.declare is not None and route.declare not in playbooks:
                issues.append(loaded.issue(list(where) + ["declare"],
                                           f'expected a playbook id ({", ".join(sorted(playbooks))}), got "{route.declare}"'))
            if route.declare_with is not None and route.declare_with not in playbooks:
                issues.append(loaded.issue(list(where) + ["declare_with"],
                                           f'expected a playbook id ({", ".join(sorted(playbooks))}), got "{route.declare_with}"'))
            if route.page is not None and rotas is not None and route.page not in rotas:
                issues.append(loaded.issue(list(where) + ["page"],
                                           "expected a rotation or escalation policy id from rotas.yaml "
                                           f'({", ".join(sorted(rotas))}), got "{route.page}"'))
            if people is not None and route.commander is not None and route.commander not in people:
                issues.append(loaded.issue(list(where) + ["commander"],
                                           f'expected a person from people.yaml, got "{route.commander}"'))
            for s in route.sources:
                if s not in sources:
                    issues.append(loaded.issue(list(where) + ["sources"], f'expected a source id, got "{s}"'))
        for kind in ("silences", "maintenance"):
            for i, window in enumerate(getattr(model, kind)):
                if people is not None and window.owner not in people:
                    issues.append(loaded.issue([kind, i, "owner"], f'expected a person from people.yaml, got "{window.owner}"'))
                for s in window.sources:
                    if s not in sources:
                        issues.append(loaded.issue([kind, i, "sources"], f'expected a source id, got "{s}"'))
    return issues


def _people(config) -> set[str] | None:
    if not config.loaded("people"):
        return None
    return {p.id for p in getattr(config.one("people"), "people", [])}


def _rotas(config) -> set[str] | None:
    """Rotation and escalation policy ids: what a page route may name."""
    if not config.loaded("rotas"):
        return None
    rotas = config.one("rotas")
    return {r.id for r in rotas.rotations} | {p.id for p in rotas.escalation_policies}
