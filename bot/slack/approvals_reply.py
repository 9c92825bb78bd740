"""The answer to ``/incident approvals``: the incident's pending approvals as the reader sees them (ephemeral).

Each approval: what would change, who asked and since when (the reader's zone), the reason, and the Approve /
Reject buttons of the request's own message where the incident service says the reader may press them
(:meth:`bot.incidents.service.IncidentService.approvals_to_decide`); a press is decided by the same listeners,
and the same permission checks in the service, as a press on the request's message.
"""

from __future__ import annotations

from bot.incidents.queries import ApprovalToDecide
from bot.incidents.views import IncidentView
from bot.slack import readable
from bot.slack.blocks import MESSAGE_BLOCKS_LIMIT, SECTION_LIMIT, Rendered, button, section
from bot.slack.mrkdwn import escape, truncate

KIND_WORDS = {"clock": "legal clock", "request": "held change"}
SHOWN = (MESSAGE_BLOCKS_LIMIT - 3) // 2  # a section and an actions block each, with the head and the tail


def line(approval: ApprovalToDecide, zone: str) -> str:
    asked = f"{approval.requested_by} asked {approval.requested_at.isoformat()}"
    reason = f". Reason: {approval.reason}" if approval.reason else ""
    text = readable.reply(f"{approval.what} ({asked}{reason})", zone, limit=SECTION_LIMIT - 100)
    return f"`#{approval.id}` _{KIND_WORDS[approval.kind]}_: {text}"


def approvals(incident: IncidentView, pending: list[ApprovalToDecide], zone: str) -> Rendered:
    label = escape(incident.label)
    if not pending:
        text = f"*{label}* has no pending approvals."
        return Rendered(text=text, blocks=[section(text)])
    head = f"*Pending approvals of {label}* (times in {escape(zone)})"
    blocks = [section(head)]
    for approval in pending[:SHOWN]:
        blocks.append(section(line(approval, zone)))
        if approval.buttons:
            blocks.append({"type": "actions", "block_id": f"approvals.{approval.kind}.{approval.id}",
                           "elements": [button(b) for b in approval.buttons]})
    if len(pending) > SHOWN:
        blocks.append(section(f"_… {len(pending) - SHOWN} more; the incident timeline has every request_"))
    if not any(a.buttons for a in pending):
        blocks.append(section("_You cannot decide these: someone allowed to approve (config/permissions.yaml), "
                              "other than the requester, can_"))
    fallback = truncate("\n".join([head, *(line(a, zone) for a in pending[:5])]), SECTION_LIMIT)
    return Rendered(text=fallback, blocks=blocks)
