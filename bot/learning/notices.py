"""What the learning phase says in chat: the review announcement, the draft, nudges for reviews and follow-ups.

Plain text :class:`~bot.ports.Notice` objects (the adapter escapes); buttons
carry opaque ids only (``review:<id>``, ``followup:<id>``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from bot.ports import Button, Notice

DRAFT_LINES = 400  # a draft longer than this is cut in the message; the file has all of it


def _label(incident: Any) -> str:
    return f"INC-{incident.number}"


def _meta(incident: Any, key: str, **extra: str) -> dict[str, str]:
    return {"incident": str(incident.id), "reminder": key, **extra}


def review_buttons(review_id: int, *, draft: bool = True, followup_of: int | None = None) -> tuple[Button, ...]:
    """The review's buttons; with ``followup_of`` (an incident number) also "Add follow-up", which opens the form."""
    buttons = (Button("review.draft", "Draft the review", f"review:{review_id}", "primary"),) if draft else ()
    buttons += (Button("review.done", "Review done", f"review:{review_id}"),)
    return buttons + ((Button("followup.add", "Add follow-up", f"incident:{followup_of}"),) if followup_of else ())


def review_opened(incident: Any, review: Any, *, key: str, owner_name: str) -> Notice:
    return Notice(
        kind="review", title=f"{_label(incident)}: post-incident review due by the end of {review.due_day:%a %d %b %Y}",
        lines=(f"{owner_name} owns it. It is due {review.business_days} business days after the resolution, counted "
               f"on the {review.calendar} (weekends, public holidays and closure days do not count).",
               "Draft it from the verified timeline with the button below (or: incident-bot review "
               f"{_label(incident)} --as YOU); the draft is posted here and written as a file."),
        buttons=review_buttons(review.id, followup_of=incident.number), mention_users=(review.owner,),
        metadata=_meta(incident, key, review=str(review.id)))


def review_draft(incident: Any, review: Any, *, key: str, markdown: str) -> Notice:
    lines = markdown.splitlines()
    cut = len(lines) > DRAFT_LINES
    body = tuple(lines[:DRAFT_LINES]) + (("… (cut here; the file has the whole draft)",) if cut else ())
    return Notice(kind="review_draft", title=f"{_label(incident)}: post-incident review draft {review.drafts}",
                  lines=body, buttons=review_buttons(review.id, draft=False, followup_of=incident.number),
                  footer=f"sha256 {review.draft_sha256}. Edit it where your team writes reviews; mark it done here.",
                  metadata=_meta(incident, key, review=str(review.id)))


def review_nudge(incident: Any, review: Any, *, key: str, today: date, overdue_days: int) -> Notice:
    if overdue_days > 0:
        title = (f"{_label(incident)}: the post-incident review is overdue by {overdue_days} business "
                 f"day{'s' if overdue_days != 1 else ''}")
    elif today == review.due_day:
        title = f"{_label(incident)}: the post-incident review is due today"
    else:
        title = f"{_label(incident)}: the post-incident review is due on {review.due_day:%a %d %b}"
    return Notice(
        kind="review_nudge", title=title,
        lines=(f"{incident.title}", f"Due by the end of {review.due_day:%a %d %b %Y} ({review.calendar}).",
               "Draft it from the verified timeline, then mark it done with the link to the final document. "
               "You are reminded every business day until it is done."),
        buttons=review_buttons(review.id), mention_users=(review.owner,),
        metadata=_meta(incident, key, review=str(review.id)))


def followup_nudge(incident: Any, followup: Any, *, key: str, due: date, today: date) -> Notice:
    days = (due - today).days
    if days > 0:
        title = f"Follow-up F-{followup.id} ({_label(incident)}) is due in {days} day{'s' if days != 1 else ''}"
    elif days == 0:
        title = f"Follow-up F-{followup.id} ({_label(incident)}) is due today"
    else:
        title = f"Follow-up F-{followup.id} ({_label(incident)}) is overdue by {-days} day{'s' if days != -1 else ''}"
    deferred = f" (deferred until {followup.deferred_until})" if followup.state == "deferred" else ""
    return Notice(
        kind="followup_nudge", title=title,
        lines=(followup.title, f"Due {due:%a %d %b %Y}{deferred}. State: {followup.state.replace('_', ' ')}.",
               "Done? Mark it with the button. Cannot be done in time? Ask the product owner to defer it or accept "
               "the risk (they need a reason)."),
        buttons=(Button("followup.done", "Done", f"followup:{followup.id}", "primary"),
                 Button("followup.start", "Working on it", f"followup:{followup.id}")),
        mention_users=(followup.owner,), metadata=_meta(incident, key, followup=str(followup.id)))
