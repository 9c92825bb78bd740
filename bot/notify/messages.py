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
                 ack_url: str | None = None) -> Outgoing:
    ref = reference(page.id, step)
    label = f"INC-{incident.number}"
    why = f" ({page.reason.split(';')[0]})" if page.reason else ""
    head = f"{label} {incident.severity} {page.urgency} urgency: {incident.title}"
    subject = f"Page: {label} ({incident.severity}, {page.urgency} urgency)"
    if method == "sms":
        text = (f"{head}. You are paged{why}. Reply 'ack {page.id}' to take it or 'decline {page.id} <reason>'. "
                f"Ref {ref}")
    elif method == "voice":
        text = (f"Incident page for {label}, {incident.severity}, {page.urgency} urgency: {incident.title}. "
                f"Press 1 to acknowledge, 2 if you cannot take it.")
    else:
        lines = [f"You are paged for {head}.", f"Why you: {page.reason or 'you are on call for this service.'}", ""]
        if ack_url:
            lines += [f"Acknowledge: {ack_url}"]
        lines += ["", f"Or answer the Slack message, or reply 'ack {page.id}' to the SMS.", f"Ref {ref}"]
        text = "\n".join(lines)
    return Outgoing(method=method, to=to, ref=ref, subject=subject, text=text, page_id=page.id)
