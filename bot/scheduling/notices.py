"""The messages the scheduler sends: pages, escalations, held pages, cadence and checklist nudges.

Deadline nudges are rendered by the deadlines package (``notice_for``); this
module only builds the others.  Every notice says which incident it is about,
why the reader gets it and what to do; buttons carry opaque ids only.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bot.clock import ensure_utc
from bot.ports import Button, Notice


def incident_label(incident: Any) -> str:
    return f"INC-{incident.number}"


def span(delta: timedelta) -> str:
    """A short human duration: "45m", "2h 05m", "3d 4h"."""
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"


# A row delivered this long after it was due carries a note saying so, and is logged as late.
LATE_NOTE_AFTER = timedelta(seconds=60)
LATE_SUFFIX = "the scheduler was not running when this was due."


def lateness_note(late: timedelta) -> str:
    """The note on a row delivered ``late``; a footer ending with :data:`LATE_SUFFIX` gets no second one."""
    return f"Sent {span(late)} late: {LATE_SUFFIX}"


def local_time(at: datetime, zone: str) -> str:
    """``Tue 03 Mar 09:00 CET`` in the reader's zone."""
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")


def _meta(incident: Any, key: str) -> dict[str, str]:
    return {"incident": str(incident.id), "reminder": key}


def _channel_field(incident: Any) -> tuple[tuple[str, str], ...]:
    """The channel by id: the adapter shows it as a link."""
    return (("Channel", incident.channel_id),) if getattr(incident, "channel_id", None) else ()


_WHY = {"on_call": "you are on call for this service", "fallback": "nobody else may be paged right now and you are "
        "the fallback", "person": "the playbook names you for this"}


def why_you(reason: str) -> str:
    """The page's reason in words: "on_call; note" -> "you are on call for this service; note"."""
    role, _, notes = reason.partition(";")
    role = role.strip()
    said = _WHY.get(role) or role.replace("_", " ")  # "deputy for anna" reads as it is
    return said + (f";{notes}" if notes else "")


def page_notice(incident: Any, *, page_id: int, key: str, person: str, reason: str, urgency: str,
                held_since: datetime | None = None, ack_timeout: timedelta | None = None) -> Notice:
    lines = [f"You are paged for {incident_label(incident)}: {incident.title}",
             f"Why you: {why_you(reason)}." if reason else "Why you: you are on call for this service."]
    if held_since is not None:
        lines.append("This low-urgency page was held until your working hours started "
                     f"(raised {ensure_utc(held_since).isoformat(timespec='minutes')}).")  # the reader's zone in Slack
    if ack_timeout is not None:
        lines.append(f"Please acknowledge within {span(ack_timeout)}; otherwise the next person is paged.")
    return Notice(
        kind="held_page" if held_since is not None else "page",
        title=f"{'Held page' if held_since is not None else 'Page'}: {incident_label(incident)} "
              f"({incident.severity}, {urgency} urgency)",
        lines=tuple(lines),
        fields=(("Severity", incident.severity), *_channel_field(incident)),
        buttons=(Button("page.ack", "Acknowledge", f"page:{page_id}", "primary"),
                 Button("page.decline", "Can't take it", f"page:{page_id}", "danger")),
        mention_users=(person,),
        metadata={**_meta(incident, key), "page": str(page_id)},
    )


def escalation_notice(incident: Any, *, key: str, person: str | None, waited: timedelta,
                      next_people: list[str], already_paged: bool = False, by_hand: str | None = None) -> Notice:
    """Who did not answer and who is paged now; never a notice that names nobody to act.

    ``already_paged``: the next people were paged before this escalation came due (nothing new is sent).
    ``by_hand``: nobody is left to page; this person (the commander) is asked to find someone.
    """
    who = "The page" if not person else "The page to the on-call person"
    if next_people:
        action = ("Already paged: " if already_paged else "Paging next: ") + ", ".join(next_people) + "."
    elif by_hand:
        action = "Nobody is left to page on this escalation path: the commander, please find someone by hand."
    else:
        action = "Nobody is left to page on this escalation path: anyone here, please find someone by hand."
    return Notice(
        kind="escalation",
        title=f"Escalating {incident_label(incident)}: page not acknowledged within {span(waited)}",
        lines=(f"{who} was not acknowledged in time.", action),
        mention_users=tuple(dict.fromkeys(p for p in ([person] if person else []) + next_people + [by_hand] if p)),
        metadata=_meta(incident, key),
    )


def acknowledged_meanwhile_notice(incident: Any, *, key: str, acked_by: list[str]) -> Notice:
    """The page was acknowledged just as its escalation came due: say who has it, page nobody else."""
    return Notice(
        kind="escalation",
        title=f"{incident_label(incident)}: acknowledged as the escalation came due",
        lines=("Acknowledged in time after all: nobody else is paged.",),
        mention_users=tuple(acked_by),
        metadata=_meta(incident, key),
    )


def cadence_notice(incident: Any, *, key: str, role: str, holder: str | None, since: datetime,
                   cadence: timedelta, now: datetime) -> Notice:
    addressee = "" if holder else f"The {role} role is unfilled; anyone: "
    return Notice(
        kind="status_nudge",
        title=f"Status update due for {incident_label(incident)}",
        lines=(f"{addressee}The last update was {span(now - since)} ago; this severity asks for one every "
               f"{span(cadence)}.",
               "Post one with /incident status <what changed, what's next>."),
        fields=(("Owner", role.replace("_", " ")),),
        mention_users=(holder,) if holder else (),
        metadata=_meta(incident, key),
    )


def checklist_notice(incident: Any, *, key: str, task_id: int, task: str, role: str | None, holder: str | None,
                     open_for: timedelta) -> Notice:
    return Notice(
        kind="checklist",
        title=f"Checklist for {incident_label(incident)}: \"{task}\" is still open",
        lines=(f"It has been open for {span(open_for)}.",
               "Mark it done in the incident checklist when finished." if holder or not role
               else f"The {role} role is unfilled; assign someone with /incident role."),
        fields=(("Owner", role.replace("_", " ")),) if role else (),
        buttons=(Button("task.done", "Mark done", f"task:{task_id}", "primary"),),
        mention_users=(holder,) if holder else (),
        metadata={**_meta(incident, key), "task": str(task_id)},
    )


INVITE_REASONS = {
    "user_not_found": "not a member of this Slack workspace",
    "users_not_found": "not a member of this Slack workspace",
    "cant_invite": "Slack does not let the bot invite them (a guest account, or a disabled user)",
    "user_is_restricted": "a guest account that cannot join this channel",
    "user_is_ultra_restricted": "a single-channel guest account",
    "user_disabled": "their Slack account is deactivated",
    "cant_invite_self": "that is the bot itself",
    "is_archived": "the channel is archived",
    "not_in_channel": "the bot is not a member of the channel (invite the bot first)",
    "no_slack_account": "no Slack account is recorded for them in config/people.yaml",
}


def invite_reason(code: str) -> str:
    return INVITE_REASONS.get(code, f"Slack said {code}")


def not_invited_notice(incident: Any, missing: dict[str, str], *, commander: str | None, why: str,
                       name: Any = str) -> Notice:
    """Who could not be added to the incident channel and why, for the commander."""
    label = incident_label(incident) if incident is not None else "the incident"
    lines = [f"{name(who)}: {invite_reason(code)}" for who, code in sorted(missing.items())]
    lines.append("Add them by hand, or find someone else for the role.")
    return Notice(kind="not_invited", title=f"Could not invite everyone to {label}" + (f" ({why})" if why else ""),
                  lines=tuple(lines), mention_users=(commander,) if commander else (),
                  metadata={"incident": str(incident.id) if incident is not None else ""})
