"""``/oncall calendar``: a live calendar link to the shifts of the person asking, answered only to them.

``/oncall calendar`` issues a new link (:mod:`bot.reports.calendar_links`) and shows it once, ephemerally;
``/oncall calendar revoke`` revokes every link to the asker's feed. A link to a rotation or to someone else is
issued with ``incident-bot calendar-link issue`` (``issue_calendar_link`` in config/permissions.yaml).
"""

from __future__ import annotations

from typing import Any, Callable

from bot.slack.web_command import NOT_SET_UP


def wants_calendar(text: str | None) -> bool:
    return (text or "").strip().lower() in ("calendar", "calendar revoke")


def answer(links: Any, config: Callable[[], Any], user: str, text: str | None) -> str:
    """The reply for ``user``; ``links``: the server's :class:`bot.web.links.WebLinks` (None: no web view)."""
    from bot.oncall.calendar_links import Scope
    from bot.oncall.directory import person_by_slack
    from bot.reports.calendar_links import CalendarLinks

    if links is None:
        return NOT_SET_UP
    feeds = CalendarLinks(links.store, config, links.clock, base_url=links.base_url)
    if (text or "").strip().lower() == "calendar revoke":
        count = feeds.revoke_own(user)
        return f"Revoked {count} calendar link(s) of yours. `/oncall calendar` gives a new one."
    person = person_by_slack(config(), user)
    if person is None:
        return ("You are not in people.yaml, so you have no shifts to subscribe to. A manager adds you with your "
                "Slack user id (see docs/managers.md).")
    issued = feeds.issue(Scope(person=person), actor=user)
    return (f"Your on-call shifts as a live calendar (today and the next 90 days, always current): <{issued.url}>\n"
            "Add it to your calendar app as a subscription (\"From URL\"). It is secret: anyone with it sees your "
            "shifts. `/oncall calendar revoke` ends all your calendar links at once.")
