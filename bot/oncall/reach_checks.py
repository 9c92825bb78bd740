"""What ``bot check`` says about reaching people: someone on a rota that pages at night without a phone,
and a person's rule that tries to loosen the organisation's high-urgency minimum (both warnings)."""

from __future__ import annotations

from datetime import time
from typing import Any

from bot.oncall.labor_rules import parse_window
from bot.oncall.notification_rules import DEFAULT_RULES, PHONE_METHODS, effective_steps, loosened

NIGHT = (time(6, 0), time(22, 0))  # a window reaching before 06:00 or after 22:00 local pages at night


def _night_window(rotation: Any) -> str | None:
    if not rotation.coverage:
        return "around the clock"
    for cover in rotation.coverage:
        start, end = parse_window(cover.window)  # "24:00" is the last instant of the day
        if end <= start or start < NIGHT[0] or end > NIGHT[1]:  # crosses midnight, starts early or ends late
            return f"{cover.days} {cover.window}"
    return None


def night_reach(config: Any, rotas_file: Any) -> list:
    """Warnings on config/rotas.yaml: participants of a rotation covering night hours who cannot be phoned."""
    people_file = config.one("people")
    if people_file is None:
        return []
    org = getattr(people_file, "notification_rules", DEFAULT_RULES)
    people = {p.id: p for p in people_file.people}
    issues = []
    for i, rotation in enumerate(rotas_file.model.rotations):
        window = _night_window(rotation)
        if window is None:
            continue
        for j, pid in enumerate(rotation.participants):
            person = people.get(pid)
            if person is None:
                continue
            phone_steps = [s for s in effective_steps(org, person.notify, "high") if s.method in PHONE_METHODS]
            if person.contact.phone is None:
                why = "has no phone number (contact.phone)"
            elif not phone_steps:
                why = "has no SMS or call step in their high-urgency rule"
            else:
                continue
            issues.append(rotas_file.issue(
                ("rotations", i, "participants", j),
                f'{pid} is on rotation "{rotation.id}", which pages at night ({window}), but {why}: a night page '
                f"reaches them only in Slack or by email. Add a phone in config/people.yaml (docs/paging.md)",
                "warning"))
    return issues


def loosened_rules(people_lf: Any) -> list:
    """Warnings on config/people.yaml: a person's high-urgency rule that drops or delays the minimum."""
    model = people_lf.model
    issues = []
    for i, person in enumerate(model.people):
        for what in loosened(model.notification_rules, person.notify):
            issues.append(people_lf.issue(("people", i, "notify", "high"),
                                          f"{person.id}'s rule {what}; the minimum applies anyway", "warning"))
    return issues
