"""``/oncall`` and the App Home shifts: who is on call now and next, with the reasons people were skipped.

"Now" and "next" come from the rota schedule (``bot.oncall.schedule``); the
skip reasons from the page planner (``bot.oncall.planner.plan_pages``), i.e.
who would actually be paged right now and why others would not.  Times are
shown in the reader's zone and in UTC.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.config.loader import Config
from bot.slack.mrkdwn import escape, is_user_id
from bot.slack.replies import both

log = logging.getLogger(__name__)


def _who(team, person_id: str | None) -> str:
    if not person_id:
        return "nobody (outside coverage)"
    info = team.people.get(person_id)
    slack = getattr(info, "slack", None)
    return f"<@{slack}>" if slack and is_user_id(slack) else escape(person_id)


def describe(config: Config, rota: str | None, now: datetime, zone: str, severity: str | None = None) -> str:
    from bot.oncall.schedule import on_call
    from bot.oncall.team import team_of

    team = team_of(config)
    known = sorted(team.rotations)
    if rota is not None and rota not in known:
        return f'Unknown rota "{escape(rota)}". Known rotas: {escape(", ".join(known)) or "none configured"}.'
    lines: list[str] = []
    for rota_id in ([rota] if rota else known):
        current = on_call(team, rota_id, now)
        following = on_call(team, rota_id, current.shift_end)
        override = f" (override: {escape(current.override_reason)})" if current.override_reason else ""
        lines.append(f"*{escape(rota_id)}* now: {_who(team, current.person)}{override} until {both(current.shift_end, zone)}; "
                     f"next: {_who(team, following.person)}")
        lines += [f"   {line}" for line in _skips(config, team, rota_id, now, severity)]
    return "\n".join(lines) or "No rotas are configured."


def _skips(config: Config, team, rota_id: str, now: datetime, severity: str | None) -> list[str]:
    if not severity:
        return []
    try:
        from bot.oncall.planner import plan_pages

        plan = plan_pages(config, rota_id, now, severity).to_json()
    except Exception:  # the schedule above is still right; the planner's view is a bonus
        log.exception("page plan for /oncall %s failed", rota_id)
        return ["(could not work out who would be paged right now; see the bot's log)"]
    out = [f"skipped {_who(team, s.get('person'))}: {escape(str(s.get('reason', '')))}" for s in plan.get("skipped") or []]
    steps = plan.get("plan") or []
    if steps:
        out.append("would page now: " + ", ".join(_who(team, s.get("person")) for s in steps[:4]))
    return out


def upcoming_shifts(config: Config, slack_user: str, now: datetime, days: int = 14) -> list[tuple[str, datetime, datetime]]:
    """(rota, start, end) of the person's shifts in the next ``days`` days, soonest first."""
    from bot.oncall.schedule import shifts
    from bot.oncall.team import team_of

    team = team_of(config)
    person = next((p.id for p in team.people.values() if getattr(p, "slack", None) == slack_user), None)
    if person is None:
        return []
    found = []
    for rota_id in team.rotations:
        for shift in shifts(team, rota_id, now, now + timedelta(days=days)):
            if shift.person == person and shift.end > now:
                found.append((rota_id, max(shift.start, now), shift.end))
    return sorted(found, key=lambda s: s[1])
