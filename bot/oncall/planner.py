"""The page plan: whom to page, in which order, who was skipped and why.

:func:`plan_pages` is pure: configuration, an instant, a severity and the
engagement history in; a :class:`PagePlan` out.  The rostered person is tried
first; if a rule blocks them, their deputy takes the step; later levels follow
after each level's ack timeout.  A named exception is used only when it is
declared (:class:`ExceptionRequest`) for a severity it names.  If nobody may
be paged, the fallback manager is paged and the plan says so loudly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.clock import ensure_utc
from bot.config.version import version_stamp
from bot.oncall.eligibility import Finding, evaluate
from bot.oncall.history import EngagementHistory
from bot.oncall.labor_profile import LaborException
from bot.oncall.rota import EscalationPolicy, Level, Target, UrgencyHandling
from bot.oncall.schedule import Roster, on_call, roster_of
from bot.oncall.team import PersonInfo, Team, team_of
from bot.oncall.wallclock import describe_local


def _iso(value: datetime | None) -> str | None:
    return ensure_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


@dataclass(frozen=True)
class ExceptionRequest:
    """A declared use of a named exception (e.g. emergency, notfall, force_majeure)."""

    declared_by: str
    justification: str
    exception_id: str | None = None  # None: whichever exception the person's profile names for the severity

    def __post_init__(self) -> None:
        if not (self.justification or "").strip():
            raise ValueError("expected a justification saying why the exception is necessary, got none")
        if not (self.declared_by or "").strip():
            raise ValueError("expected who declares the exception (declared_by), got none")


@dataclass
class PlanStep:
    level: int
    person: str
    slack_user: str
    ack_timeout_minutes: int
    page_at: datetime
    role: str  # on_call | deputy | person | fallback
    deputy_for: str | None = None
    held: bool = False
    exception: str | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["page_at"] = _iso(self.page_at)
        return data


@dataclass
class Skip:
    person: str
    level: int
    reason_code: str
    reason: str
    rule: str
    citation: str
    until: datetime | None
    waivable_by: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, person: str, level: int, f: Finding, waivable: list[str]) -> "Skip":
        return cls(person, level, f.reason_code, f"skipped: {f.reason} ({f.citation})", f.rule, f.citation, f.until, waivable)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["until"] = _iso(self.until)
        return data


@dataclass
class ExceptionUsed:
    exception: str
    name: str
    person: str
    rules_waived: list[str]
    citation: str
    justification: str
    declared_by: str
    compensatory_rest_hours: float

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class PagePlan:
    rota: str
    policy: str | None
    at: datetime
    severity: str
    urgency: str
    on_call: list[str]
    plan: list[PlanStep]
    skipped: list[Skip]
    exceptions_used: list[ExceptionUsed]
    fallback_used: bool = False
    warnings: list[str] = field(default_factory=list)
    levels: int = 1
    repeat: int = 0
    exceptions_available: list[str] = field(default_factory=list)
    declared: ExceptionRequest | None = None  # the exception declared for this page, used or not
    config_version: dict[str, Any] = field(default_factory=dict)  # bot.config.version stamp it was planned under

    @property
    def held(self) -> list[PlanStep]:
        return [s for s in self.plan if s.held]

    def level_steps(self, level: int) -> list[PlanStep]:
        return [s for s in self.plan if s.level == level]

    def to_json(self) -> dict[str, Any]:
        return {
            "rota": self.rota, "policy": self.policy, "at": _iso(self.at), "severity": self.severity,
            "urgency": self.urgency, "on_call": self.on_call, "plan": [s.to_json() for s in self.plan],
            "skipped": [s.to_json() for s in self.skipped],
            "exceptions_used": [e.to_json() for e in self.exceptions_used],
            "exceptions_available": self.exceptions_available, "fallback_used": self.fallback_used,
            "held": [{"person": s.person, "page_at": _iso(s.page_at)} for s in self.held],
            "warnings": self.warnings, "levels": self.levels, "repeat": self.repeat,
            "config_version": self.config_version,
        }


@dataclass
class _Policy:
    id: str | None
    levels: list[Level]
    repeat: int
    fallback: str
    urgency: UrgencyHandling
    rotations: list[str]


def resolve_policy(team: Team, target: str) -> _Policy:
    if target in team.policies:
        pol: EscalationPolicy = team.policies[target]
        rots = [t.rotation for lv in pol.levels for t in lv.targets if t.rotation]
        return _Policy(pol.id, list(pol.levels), pol.repeat, pol.fallback, pol.urgency, rots)
    if target not in team.rotations:
        known = sorted(set(team.rotations) | set(team.policies))
        raise KeyError(f'unknown rota "{target}"; rotations and escalation policies: {", ".join(known)}')
    rot = team.rotations[target]
    if rot.escalation:
        return resolve_policy(team, rot.escalation)
    levels = [Level(targets=[Target(rotation=rot.id)], ack_timeout=rot.ack_timeout),
              Level(targets=[Target(deputies_of=rot.id)], ack_timeout=rot.ack_timeout),
              Level(targets=[Target(person=rot.fallback)], ack_timeout=rot.ack_timeout)]
    return _Policy(None, levels, 0, rot.fallback, UrgencyHandling(), [rot.id])


class _Planner:
    def __init__(self, team: Team, roster: Roster, at: datetime, severity: str, urgency: str, history: EngagementHistory,
                 exception: ExceptionRequest | None, pol: _Policy, exclude: frozenset[str] = frozenset()) -> None:
        self.at0 = at
        self.team, self.roster, self.severity, self.urgency, self.history = team, roster, severity, urgency, history
        self.request, self.pol = exception, pol
        self.hold = (pol.urgency.low if urgency == "low" else pol.urgency.high) == "hold_until_working_hours"
        self.steps: list[PlanStep] = []
        self.skipped: list[Skip] = []
        self.used: list[ExceptionUsed] = []
        self.warnings: list[str] = []
        self.available: set[str] = set()
        self.taken: set[str] = set(exclude)  # already in the plan, or already paged in this escalation cycle
        activities = {team.rotations[r].activity for r in pol.rotations}
        self.activity = activities.pop() if len(activities) == 1 else None  # for person targets of the policy

    def _exception_for(self, person: PersonInfo, blocks: list[Finding]) -> tuple[LaborException | None, list[str]]:
        """The exception that would waive every block for this severity, and all that could."""
        if any(b.rule == "leave" for b in blocks):
            return None, []  # leave is never waived, whatever id its rule has
        fits = [e for e in person.rules.exceptions if self.severity in e.severities
                and all(b.rule in e.waives or b.rule_id in e.waives for b in blocks)]
        chosen = None
        if self.request and fits:
            chosen = next((e for e in fits if self.request.exception_id in (None, e.id)), None)
        return chosen, [e.id for e in fits]

    def admit(self, pid: str, level: int, at: datetime, *, activity: str | None, allow_exception: bool,
              record_skip: bool = True) -> tuple[datetime, list[str], ExceptionUsed | None] | None:
        """Page time, notes and exception if ``pid`` may be paged at ``at`` (held pages: at release)."""
        person = self.team.person(pid)
        page_at, notes = at, []
        if self.hold and not person.working_at(at):
            release = person.next_work_start(at)
            if release is not None:
                release = max(release, at)
            if release is None:
                self.warnings.append(f"{pid} has no working hours in the next three weeks; paging now instead of holding")
            else:
                page_at = release
                notes.append(f"held: low urgency outside working hours; goes out {describe_local(release, person.zone)}")
        needs_roster = any(r.kind == "contact_window" for r in person.rules.rules)  # the only rule that asks
        verdict = evaluate(person, page_at, rostered=needs_roster and self.roster.is_rostered(pid, page_at), activity=activity,
                           history=self.history)
        notes += [f"{w.reason} ({w.citation})" for w in verdict.warnings]
        if verdict.eligible:
            return page_at, notes, None
        chosen, fits = self._exception_for(person, verdict.blocks)
        if chosen and allow_exception:
            rest = chosen.compensatory_rest_hours
            if rest == "equivalent":
                # the waived rest rule's hours; for other rules (holiday, contact ban) the person's daily rest
                daily = [r.hours for r in person.rules.of_kind("min_daily_rest")]
                rest = max([b.rest_hours or 0 for b in verdict.blocks] + [0]) or max(daily, default=11.0)
            assert self.request is not None
            used = ExceptionUsed(chosen.id, chosen.name or chosen.id, pid, sorted({b.rule for b in verdict.blocks}),
                                 chosen.cite, self.request.justification, self.request.declared_by, float(rest))
            notes.append(f"paged under exception {chosen.id} ({chosen.cite}); waives " +
                         "; ".join(f"{b.reason} ({b.citation})" for b in verdict.blocks))
            return page_at, notes, used
        if record_skip:
            self.available.update(fits)
            for b in verdict.blocks:
                if not any(s.person == pid and s.citation == b.citation for s in self.skipped):
                    self.skipped.append(Skip.of(pid, level, b, fits))
        return None

    def add(self, level: int, pid: str, ack: int, role: str, admitted, deputy_for: str | None = None) -> None:
        page_at, notes, used = admitted
        person = self.team.person(pid)
        self.steps.append(PlanStep(level, pid, person.slack, ack, page_at, role, deputy_for,
                                   held=any(n.startswith("held:") for n in notes),
                                   exception=used.exception if used else None, notes=notes))
        self.taken.add(pid)
        if used:
            self.used.append(used)
            self.skipped = [s for s in self.skipped if s.person != pid]  # paged after all, under the exception

    def deputy(self, level: int, rotation: str, at: datetime, ack: int, deputy_for: str | None) -> bool:
        oc = on_call(self.team, rotation, self.at0)  # who is rostered is a snapshot at the plan instant
        activity = self.team.rotations[rotation].activity
        candidates = [p for p in oc.deputies if p not in self.taken]
        for allow in (False, True):
            for pid in candidates:
                admitted = self.admit(pid, level, at, activity=activity, allow_exception=allow, record_skip=not allow)
                if admitted:
                    self.add(level, pid, ack, "deputy", admitted, deputy_for)
                    return True
            if not self.request:
                break
        return False

    def run_level(self, level_no: int, level: Level, at: datetime) -> None:
        ack = int(level.ack_timeout.total_seconds() // 60)
        uncovered: list[str] = []
        rotation_targets = [t for t in level.targets if t.rotation or t.deputies_of]
        for target in level.targets:
            if target.person:
                if target.person in self.taken:
                    continue
                admitted = self.admit(target.person, level_no, at, activity=self.activity, allow_exception=True)
                if admitted:
                    self.add(level_no, target.person, ack, "person", admitted)
                continue
            rid = target.rotation or target.deputies_of
            assert rid is not None
            oc = on_call(self.team, rid, self.at0)
            if not oc.covered:
                uncovered.append(rid)
                continue
            if target.deputies_of:
                self.deputy(level_no, rid, at, ack, None)
                continue
            assert oc.person is not None
            if oc.person in self.taken:
                continue
            admitted = self.admit(oc.person, level_no, at, activity=self.team.rotations[rid].activity, allow_exception=True)
            if admitted:
                self.add(level_no, oc.person, ack, "on_call", admitted)
            elif not self.deputy(level_no, rid, at, ack, oc.person):
                self.warnings.append(f"level {level_no}: {oc.person} may not be paged and no deputy of {rid} may be paged")
        if rotation_targets and len(uncovered) == len(rotation_targets):
            zone_name = self.team.rotations[uncovered[0]].timezone
            self.warnings.append(f"level {level_no}: {', '.join(uncovered)} not covering {describe_local(at, zone_name)}")


def team_for(config, history: EngagementHistory | None) -> Team:
    """The configured team, with the covers accepted in chat (carried by the history) on top."""
    team = team_of(config)
    if history is None or not history.overrides:
        return team  # a plan without the store never loads the database stack
    from bot.oncall.covers import with_overrides

    return with_overrides(team, history.overrides)


def roster_for(config, team: Team, history: EngagementHistory | None) -> Roster:
    """The roster index of the config version, or of ``team`` when accepted covers change who is rostered."""
    return Roster(team) if history is not None and history.overrides else roster_of(config)


def plan_pages(config, target: str, at: datetime, severity: str, *, urgency: str = "high",
               history: EngagementHistory | None = None, exception: ExceptionRequest | None = None) -> PagePlan:
    """The ordered page plan for ``target`` (a rotation or an escalation policy id) at ``at``."""
    if urgency not in ("high", "low"):
        raise ValueError(f'expected urgency "high" or "low", got "{urgency}"')
    at = ensure_utc(at)
    team = team_for(config, history)
    pol = resolve_policy(team, target)
    p = _Planner(team, roster_for(config, team, history), at, severity, urgency, history or EngagementHistory(), exception, pol)
    level_at = at
    for idx, level in enumerate(pol.levels, start=1):
        before = len(p.steps)
        p.run_level(idx, level, level_at)
        if len(p.steps) > before:  # an empty level does not wait (skip_if_empty)
            level_at = max(s.page_at for s in p.steps[before:]) + level.ack_timeout
    if not p.steps:
        fallback = team.person(pol.fallback)
        verdict = evaluate(fallback, at, rostered=True, activity=None, history=p.history)
        p.warnings.insert(0, f"NOBODY ELIGIBLE to be paged for {target} at {describe_local(at, fallback.zone)}; "
                             f"paging the fallback manager {fallback.id}")
        notes = [f"fallback despite: {b.reason} ({b.citation})" for b in verdict.blocks]
        p.steps.append(PlanStep(1, fallback.id, fallback.slack, int(pol.levels[0].ack_timeout.total_seconds() // 60),
                                at, "fallback", notes=notes))
    if p.available and not p.used:
        names = ", ".join(sorted(p.available))
        p.warnings.append(f"exception {names} may be declared for {severity} with a justification to page skipped people")
    elif exception and not p.used:
        p.warnings.append("the declared exception was not needed or does not apply to this severity; nothing was waived")
    on_call_ids = []
    for rid in pol.rotations:
        oc = on_call(team, rid, at)
        if oc.person and oc.person not in on_call_ids:
            on_call_ids.append(oc.person)
    return PagePlan(target, pol.id, at, severity, urgency, on_call_ids, p.steps, p.skipped, p.used,
                    fallback_used=any(s.role == "fallback" for s in p.steps), warnings=p.warnings,
                    levels=len(pol.levels), repeat=pol.repeat, exceptions_available=sorted(p.available),
                    declared=exception, config_version=version_stamp(config))


def plan_level(config, target: str, level: int, at: datetime, severity: str, *, urgency: str = "high",
               history: EngagementHistory | None = None, exception: ExceptionRequest | None = None,
               exclude: set[str] | frozenset[str] = frozenset()) -> PagePlan:
    """The steps of one escalation ``level`` (1-based, as in the policy) evaluated at ``at``.

    Used when escalating: the level is checked at the instant it is paged, and
    nobody in ``exclude`` (people already paged and not answering in this
    cycle, or who declined) is paged again; a deputy level then takes the next
    eligible deputy instead.  No fallback is added: the caller decides.
    """
    at = ensure_utc(at)
    team = team_for(config, history)
    pol = resolve_policy(team, target)
    if not 1 <= level <= len(pol.levels):
        raise ValueError(f"expected a level between 1 and {len(pol.levels)} for {target}, got {level}")
    p = _Planner(team, roster_for(config, team, history), at, severity, urgency, history or EngagementHistory(), exception, pol, frozenset(exclude))
    p.run_level(level, pol.levels[level - 1], at)
    return PagePlan(target, pol.id, at, severity, urgency, [], p.steps, p.skipped, p.used, warnings=p.warnings,
                    levels=len(pol.levels), repeat=pol.repeat, exceptions_available=sorted(p.available),
                    config_version=version_stamp(config))
