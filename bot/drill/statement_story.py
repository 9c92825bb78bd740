"""The public statement of a drill story: the comms lead drafts it, legal signs it off, the status page shows it
and its email subscribers are sent it.

When the story has a statement (``Story.statement``), the holder of the playbook's
``communications.external_owner`` role drafts it ``STATEMENT_AFTER`` the declaration (``/incident statement``).
Where the playbook asks for sign-off (``approval_needed_from``), the first holder of those roles other than the
drafter approves it, in the playbook's order (legal first in the security playbook), as they would with the
request's Approve button. Before the draft a customer subscribes to the status page by email and confirms;
the published statement is mailed to them by the scheduler's sweep. The summary says what was published, when and who signed it off, from the chain's
``statement.published`` event.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, TextIO

from sqlmodel import select

from bot.drill.running import RunningDrill
from bot.incidents.playbook import playbook_for
from bot.slack.readable import instant
from bot.slack.replies import local
from bot.subscriptions import subscribers
from bot.subscriptions.tables import StatusMail

STATEMENT_AFTER = timedelta(minutes=20)
CUSTOMER = "it-desk@customer.example"  # subscribed to the status page by email


def subscribe_customer(drill: RunningDrill) -> None:
    """A customer subscribes to the status page by email and presses the confirmation mail's button, as on
    ``/web/status``: the request, the confirmation mail (sent the way ``serve`` sends it, into the drill's
    mailbox) and the signed link's claim."""
    w = drill.world
    subscribers.subscribe(w.store, w.clock, CUSTOMER, per_hour=drill.config.settings.status_confirmations_per_hour)
    w.pager.status_mail.run_due()
    _, mail, _ = next(sent for sent in reversed(w.pager.mailbox.sent) if sent[1].to == CUSTOMER)
    (token,) = re.findall(r"/status/confirm\?t=(\S+)", mail.text)
    subscribers.confirm(w.store, w.clock, w.pager.status_links.confirmation(token))


def publish(drill: RunningDrill) -> None:
    """The external owner drafts the story's statement; a signer other than the drafter approves it."""
    w, story = drill.world, drill.story
    subscribe_customer(drill)
    communications = playbook_for(drill.config, w.incidents.get(drill.number).severity).communications
    drafter = drill.holders.get(communications.external_owner)
    if drafter is None:
        return
    drill._deliver(w.incidents.draft_statement(drill.number, story.statement_status, story.statement, actor=drafter,
                                              key="drill:statement"))
    signer = next((drill.holders[r] for r in communications.approval_needed_from
                   if drill.holders.get(r) not in (None, drafter)), None)
    if signer is None:
        return
    for request in w.incidents.approvals_to_decide(drill.number, reader=signer):
        if request.kind == "request" and request.buttons and request.requested_by == drafter:
            drill._deliver(w.incidents.approve_request(request.id, actor=signer, key="drill:statement:approve"))


def print_summary(drill: RunningDrill, pack: dict[str, Any], file: TextIO) -> None:
    if not drill.story.statement:
        return
    title = "Public statement (the status page, /web/status)"
    print(f"\n{title}\n{'-' * len(title)}", file=file)
    published = [e for e in pack["timeline"] if e["kind"] == "statement.published"]
    if not published:
        print("  none published (no external owner, or nobody but the drafter may sign it off)", file=file)
    roles = {user: role for role, user in drill.holders.items()}
    name = drill.world.person_of
    for event in published:
        d = event["data"]
        signer = d.get("approved_by")
        signed = (f"signed off by {name(signer)} ({roles.get(signer, 'allowed to approve')})" if signer
                  else "the playbook asks for no sign-off")
        print(f"  {d['status']}, published {local(instant(d['published_at']), drill.config.settings.timezone)}, "
              f"drafted by {name(d['drafted_by'])}, {signed}; event hash {event['hash'][:12]}", file=file)
        print(f"    \"{d['text']}\"", file=file)
    with drill.world.store.session() as s:
        mails = [m.state for m in s.exec(select(StatusMail).where(StatusMail.kind == "statement")).all()]
    sent = mails.count("sent")
    print(f"  emailed to the status page's confirmed subscribers: {sent} sent"
          + (f", {len(mails) - sent} not sent" if len(mails) != sent else ""), file=file)
