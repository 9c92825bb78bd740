"""Lookups other parts of the bot use: people, rotas, roles, Slack ids, zones, working time."""

from __future__ import annotations

from datetime import datetime

from bot.oncall.team import team_of


def person_ids(config) -> set[str]:
    return set(team_of(config).people)


def rota_ids(config) -> set[str]:
    """Rotations and escalation policies: everything a playbook may page."""
    team = team_of(config)
    return set(team.rotations) | set(team.policies)


def role_ids(config) -> set[str]:
    return set(team_of(config).roles)


def slack_user_of(config, person_id: str) -> str:
    return team_of(config).person(person_id).slack


def person_by_slack(config, slack_user_id: str) -> str | None:
    return next((p.id for p in team_of(config).people.values() if p.slack == slack_user_id), None)


def person_timezone(config, person_id: str) -> str:
    return team_of(config).person(person_id).zone


def role_deputies(config, role: str) -> list[str]:
    """People for an incident role, in order (first is the default holder, then deputies)."""
    roles = team_of(config).roles
    if role not in roles:
        raise KeyError(f'unknown role "{role}"; roles in rotas.yaml: {", ".join(sorted(roles)) or "none"}')
    return list(roles[role])


def person_working_now(config, person_id: str, at: datetime) -> bool:
    """Within the person's working hours (their zone, holidays, closures and leave applied).

    Accepts a person id or, for callers that only know the chat user, a Slack user id.
    """
    team = team_of(config)
    if person_id not in team.people:
        resolved = person_by_slack(config, person_id)
        if resolved is None:
            raise KeyError(f'unknown person or Slack user "{person_id}"')
        person_id = resolved
    return team.person(person_id).working_at(at)


def reader_zone(config, slack_user: str | None) -> str:
    """The zone to show times in for ``slack_user``: their own, else the workspace default."""
    default = getattr(config.settings, "timezone", "UTC") if config is not None else "UTC"
    if not slack_user:
        return default
    try:
        person = person_by_slack(config, slack_user)
        return person_timezone(config, person) if person else default
    except (KeyError, ValueError, AttributeError):
        return default
