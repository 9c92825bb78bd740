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


HORIZON = timedelta(days=35)  # longer than a fortnightly cadence plus a long weekend without coverage


def _merged_shifts(team, rota_id: str, now: datetime) -> list:
    """The rota's shifts from now on (cadence, overrides, coverage windows), adjoining pieces of one
    person joined: what "until" and "next" are read from."""
    from dataclasses import replace

    from bot.oncall.schedule import shifts

    merged: list = []
    for shift in sorted(shifts(team, rota_id, now, now + HORIZON), key=lambda s: s.start):
        if merged and merged[-1].person == shift.person and merged[-1].end >= shift.start:
            merged[-1] = replace(merged[-1], end=max(merged[-1].end, shift.end))
        else:
            merged.append(shift)
    return merged


def _override(shift) -> str:
    reason = shift.source.removeprefix("override: ") if shift.source.startswith("override") else ""
    return f" (override: {escape(reason)})" if reason else ""


def now_and_next(team, rota_id: str, now: datetime, zone: str) -> str:
    """``now: Anna until Tue 19:00 …; next: Anna from Wed 07:00 …, handover to Bruno Mon 09:00 …``.

    "Until" is when the person's coverage ends (a daily window's end, a handover or an override's
    end), not the next handover; outside coverage nobody is on call until the next window opens."""
    ahead = _merged_shifts(team, rota_id, now)
    current = ahead[0] if ahead and ahead[0].start <= now else None
    later = ahead[1:] if current else ahead
    if current:
        text = f"now: {_who(team, current.person)}{_override(current)} until {both(current.end, zone)}"
    elif later:
        text = f"now: nobody (outside coverage) until {both(later[0].start, zone)}"
    else:
        return f"now: nobody, and nobody in the next {HORIZON.days} days"
    if not later:
        return text + f"; next: nobody in the next {HORIZON.days} days"
    following = later[0]
    text += f"; next: {_who(team, following.person)}{_override(following)} from {both(following.start, zone)}"
    on_duty = current.person if current else following.person
    handover = next((s for s in later if s.person != on_duty), None)
    if handover and handover is not following:
        text += f", handover to {_who(team, handover.person)} on {both(handover.start, zone)}"
    return text


def describe(config: Config, rota: str | None, now: datetime, zone: str, severity: str | None = None) -> str:
    from bot.oncall.team import team_of

    team = team_of(config)
    known = sorted(team.rotations)
    if rota is not None and rota not in known:
        return f'Unknown rota "{escape(rota)}". Known rotas: {escape(", ".join(known)) or "none configured"}.'
    lines: list[str] = []
    for rota_id in ([rota] if rota else known):
        lines.append(f"*{escape(rota_id)}* {now_and_next(team, rota_id, now, zone)}")
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
