"""The pages of an alert group paged without an incident (a ``page:`` route in ``config/alerts.yaml``).

The same :class:`~bot.oncall.tables.Page` rows as an incident's pages (planned by the same labor-aware
planner, held until working hours for low urgency, escalated by ``paging.escalate``), pointing at their
alert group instead of an incident.  Their outbox rows have no incident, so they are not derived by
``sync_incident`` but by :func:`sync_group`, in the same unit of work as every change of the group's pages
(triage, an answer in Slack, a send, an escalation).  Three row kinds, with the same keys as an incident's:

* ``alert_page`` (``page:<id>:send``): the direct message with the alert's summary, labels and link and the
  buttons Acknowledge, Resolve, Escalate and Declare incident, due at ``page_at`` (a held page's release);
  once sent the page is ``sent`` and its escalation is planned;
* ``alert_escalate`` (``page:<id>:escalate``): due at ``sent_at + ack_timeout``; pages the next level, re-planned
  at that moment under the labor rules, in the unit of work of the claim (so once).  There is no incident
  channel to tell: the escalation is on the chain (``page.escalated``) and the next person gets the page;
* ``alert_page_done`` (``page:<id>:update``): a sent message loses its buttons once the page is acknowledged,
  declined or cancelled (the group resolved, someone else took it), saying what happened.  An acknowledged
  page keeps Resolve and Declare incident until the group resolves or gets an incident
  (``page:<id>:update:final`` then removes them).

A page of a resolved group is not sent (the resolve cancelled it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, select

from bot.clock import ensure_utc
from bot.oncall import directory
from bot.outbox.notice_codec import notice_to_json
from bot.outbox.tables import Reminder
from bot.ports import Button, Notice
from bot.scheduling import notices
from bot.scheduling.kinds import page_methods
from bot.scheduling.matching import SyncResult, apply_wanted
from bot.scheduling.wanted import Act, Drop, Outcome, Send, Wanted

name = "alert_page"
names = ("alert_page", "alert_escalate", "alert_page_done")
FINAL = ("acked", "declined", "cancelled")
WAITING = ("planned", "held")
MAX_LABELS = 12
PLANNED = False  # not derived from an incident's state (sync_incident); sync_group derives them


def wanted(session: Session, config: Any, incident: Any, at: datetime) -> list[Wanted]:
    return []  # an incident has none of these rows: an alert group's are derived by sync_group


def sync_group(session: Session, config: Any, group_id: int, at: datetime) -> SyncResult:
    """Make the outbox rows of the alert group's pages match the pages (see :mod:`bot.scheduling.sync`)."""
    from bot.alerts.tables import AlertGroup
    from bot.oncall.tables import Page

    # Serialise syncs of one group (row lock on PostgreSQL; SQLite serialises writers anyway).
    group = session.exec(select(AlertGroup).where(AlertGroup.id == group_id).with_for_update()).first()
    if group is None:
        raise ValueError(f"expected an existing alert group id, got {group_id}")
    pages = session.exec(select(Page).where(Page.alert_group_id == group_id).order_by(Page.id)).all()
    failed = page_methods.wanted_for_group(session, list(pages))  # steps (SMS, call, email) that failed for good
    keys = [f"page:{p.id}:{what}" for p in pages for what in ("send", "escalate", "update", "update:final")] + list(failed)
    rows = {r.key: r for r in session.exec(select(Reminder).where(Reminder.key.in_(keys))).all()} \
        if keys else {}  # type: ignore[attr-defined]
    want: dict[str, Wanted] = dict(failed)
    for p in pages:
        if p.status in WAITING and group.status != "resolved":
            want[f"page:{p.id}:send"] = Wanted(key=f"page:{p.id}:send", kind="alert_page", target=p.id,
                                                 due_at=p.page_at, recipient=p.slack_user,
                                                 payload={"urgency": p.urgency, "group": group_id})
        elif p.status == "sent":
            want[f"page:{p.id}:escalate"] = Wanted(
                key=f"page:{p.id}:escalate", kind="alert_escalate", target=p.id, recipient=p.slack_user,
                due_at=(p.sent_at or p.page_at) + timedelta(minutes=p.ack_timeout_minutes), payload={"group": group_id})
        elif p.status in FINAL:
            sent = rows.get(f"page:{p.id}:send")
            if sent is not None and sent.state == "sent" and sent.message_ts:
                # acknowledged: Resolve and Declare incident stay until the group resolves or gets an incident
                later = p.status == "acked" and (group.status == "resolved" or group.incident_id is not None)
                key = f"page:{p.id}:update" + (":final" if later else "")
                want[key] = Wanted(key=key, kind="alert_page_done", target=p.id, due_at=sent.sent_at or at,
                                   recipient=p.slack_user, payload={"status": p.status, "group": group_id})
    result = apply_wanted(session, None, want, at, set(names) | {"alert_method"}, existing=rows)
    from bot.notify.plan import sync_group_notifications

    sync_group_notifications(session, config, group_id, at)  # the pages' SMS, voice and email steps, same transaction
    return result


def _page_and_group(session: Session, reminder: Reminder, *, lock: bool = False) -> tuple[Any, Any]:
    """``lock``: the group's row first (PostgreSQL), before anything locks the page: every change to a group's
    pages (an answer, triage, sync_group) takes the group before the pages, so two of them cannot deadlock."""
    from bot.alerts.tables import AlertGroup
    from bot.oncall.tables import Page

    group_id = (reminder.payload or {}).get("group")
    if lock and group_id is not None:
        session.exec(select(AlertGroup).where(AlertGroup.id == group_id).with_for_update()
                     .execution_options(populate_existing=True)).first()
    page = session.get(Page, reminder.target) if reminder.target is not None else None
    group = session.get(AlertGroup, page.alert_group_id) if page is not None and page.alert_group_id else None
    return page, group


def page_notice(group: Any, page: Any, *, key: str, held: bool) -> Notice:
    """The page: what fired (summary, labels, link), why this person, and what they can do."""
    labels = sorted((group.labels or {}).items())
    lines = [f"Alert: {group.summary or group.key}",
             f"Why you: {notices.why_you(page.reason)}." if page.reason else "Why you: you are on call for this service."]
    if held:
        lines.append("This low-urgency page was held until your working hours started "
                     f"(raised {ensure_utc(page.created_at).isoformat(timespec='minutes')}).")  # the reader's zone in Slack
    lines.append(f"Please acknowledge within {notices.span(timedelta(minutes=page.ack_timeout_minutes))}; "
                 "otherwise the next person is paged. No incident is open: declare one if it needs a response team.")
    fields = [("Labels", ", ".join(f"{k}={v}" for k, v in labels[:MAX_LABELS]) + (" …" if len(labels) > MAX_LABELS else ""))] \
        if labels else []
    if group.link:
        fields.append(("Link", group.link))
    fields.append(("Alert group", f"#{group.id} from {group.source} ({group.alerts} alert(s))"))
    value = f"page:{page.id}"
    return Notice(
        kind="held_page" if held else "page",
        title=f"{'Held page' if held else 'Page'}: alert from {group.source} ({page.urgency} urgency)",
        lines=tuple(lines), fields=tuple(fields),
        buttons=(Button("alert.ack", "Acknowledge", value, "primary"), Button("alert.resolve", "Resolve", value),
                 Button("alert.escalate", "Escalate", value), Button("alert.declare", "Declare incident", value)),
        mention_users=(page.slack_user,),
        metadata={"alert_group": str(group.id), "page": str(page.id), "reminder": key},
    )


def prepare(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    if reminder.kind == "alert_escalate":
        return _escalate(session, config, reminder, now)
    if reminder.kind == "alert_page_done":
        return _update(session, config, reminder)
    page, group = _page_and_group(session, reminder)
    if page is None or group is None or page.status not in WAITING or group.status == "resolved":
        return Drop("the page was answered or cancelled, or its alert group resolved")
    return Send(page.slack_user, page_notice(group, page, key=reminder.key, held=page.status == "held"), True)


def _escalate(session: Session, config: Any, reminder: Reminder, now: datetime) -> Outcome:
    from bot.oncall.paging import escalate

    page, group = _page_and_group(session, reminder, lock=True)
    if page is None or group is None or page.status != "sent":
        return Drop("the page was acknowledged, declined or cancelled in time")
    new_pages = escalate(session, config, page.id, at=now)
    sync_group(session, config, group.id, now)  # the new pages' sends, in the claim's unit of work
    who = ", ".join(p.person_id for p in new_pages) or "nobody new"
    return Drop(f"escalated alert group {group.id} to {who} (on the chain; an alert group has no channel to tell)")


def _what_happened(session: Session, config: Any, page: Any, group: Any) -> str:
    from bot.oncall.paging import DECLINED

    zone = directory.reader_zone(config, page.slack_user)
    if page.status == "acked":
        when = notices.local_time(page.acked_at, zone) if page.acked_at else ""
        text = "Acknowledged" + (f" at {when}." if when else ".")
        if group.incident_id is not None:
            return text + " An incident was declared for this alert group."
        if group.status == "resolved":
            return text + f" The alert group was resolved ({group.resolved_by or 'resolved'})."
        return text
    if page.status == "declined":
        reason = page.reason.split(DECLINED, 1)[1] if DECLINED in page.reason else ""
        return "You said you can't take it" + (f": {reason}" if reason else ".")
    if group.incident_id is not None:
        return "No longer needed here: an incident was declared for this alert group."
    if group.status == "resolved":
        return f"No longer needed: the alert group was resolved ({group.resolved_by or 'resolved'})."
    return "No longer needed: someone else took it, or it escalated."


def _update(session: Session, config: Any, reminder: Reminder) -> Outcome:
    page, group = _page_and_group(session, reminder)
    sent = session.exec(select(Reminder).where(Reminder.key == f"page:{reminder.target}:send")).first()
    if page is None or group is None or sent is None or not sent.message_ts or page.status not in FINAL:
        return Drop("the page message was not sent, or the page is open again")
    old = sent.message or {}
    still = page.status == "acked" and group.status != "resolved" and group.incident_id is None
    value = f"page:{page.id}"
    notice = Notice(kind=old.get("kind", "page"), title=old.get("title", f"Page: alert group {group.id}"),
                    lines=(_what_happened(session, config, page, group),), metadata=dict(old.get("metadata") or {}),
                    buttons=(Button("alert.resolve", "Resolve", value), Button("alert.declare", "Declare incident", value))
                    if still else ())
    return Act("update", sent.delivered_to or page.slack_user, {"ts": sent.message_ts, "notice": notice_to_json(notice)})


def after_sent(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    if reminder.kind != "alert_page":
        return None
    from bot.oncall.paging import mark_sent

    _page_and_group(session, reminder, lock=True)
    page = mark_sent(session, reminder.target, at=now)
    if page.alert_group_id is not None:
        sync_group(session, config, page.alert_group_id, now)  # a sent page wants its escalation
    return None


def on_failed(session: Session, config: Any, reminder: Reminder, now: datetime) -> None:
    """A page that cannot be delivered at all escalates at once instead of waiting for an answer."""
    if reminder.kind != "alert_page":
        return None
    from bot.oncall.paging import escalate

    page, group = _page_and_group(session, reminder, lock=True)
    if page is not None and group is not None:
        escalate(session, config, page.id, at=now)
        sync_group(session, config, group.id, now)
    return None


def describe(reminder: Reminder) -> str:
    what = {"alert_page": "send the page", "alert_escalate": "escalate the page",
            "alert_page_done": "remove the buttons of page"}.get(reminder.kind, reminder.kind)
    return f"{what} #{reminder.target} of an alert group"
