"""What a page says on each method.  Plain text: SMS and email bodies, and the words of a call.

Every message names the incident, why the person is paged, and how to answer from where it arrived:
``ack <page>`` / ``decline <page> <reason>`` by SMS reply, a key on the call, a link in the email.
The reference (``P<page>-<step>``) is part of the text so a message can be found again at the provider.
"""

from __future__ import annotations

from typing import Any

from bot.notify.ports import Outgoing


def reference(page_id: int, step: int) -> str:
    return f"P{page_id}-{step}"


def page_message(*, method: str, to: str, page: Any, incident: Any, step: int,
                 ack_url: str | None = None, group: Any = None) -> Outgoing:
    """``group``: the alert group of a page without an incident (a page route), when ``incident`` is None."""
    ref = reference(page.id, step)
    if incident is not None:
        label, severity, title = f"INC-{incident.number}", incident.severity, incident.title
    else:
        label, severity = f"Alert group {group.id if group else '?'}", "alert"
        title = (group.summary or group.key) if group is not None else "an alert"
    why = f" ({page.reason.split(';')[0]})" if page.reason else ""
    head = f"{label} {severity} {page.urgency} urgency: {title}"
    subject = f"Page: {label} ({severity}, {page.urgency} urgency)"
    if method == "sms":
        text = (f"{head}. You are paged{why}. Reply 'ack {page.id}' to take it or 'decline {page.id} <reason>'. "
                f"Ref {ref}")
    elif method == "voice":
        text = (f"{'Incident' if incident is not None else 'Alert'} page for {label}, {severity}, {page.urgency} "
                f"urgency: {title}. Press 1 to acknowledge, 2 if you cannot take it.")
    else:
        lines = [f"You are paged for {head}.", f"Why you: {page.reason or 'you are on call for this service.'}", ""]
        if ack_url:
            lines += [f"Acknowledge: {ack_url}"]
        lines += ["", f"Or answer the Slack message, or reply 'ack {page.id}' to the SMS.", f"Ref {ref}"]
        text = "\n".join(lines)
    return Outgoing(method=method, to=to, ref=ref, subject=subject, text=text, page_id=page.id)
