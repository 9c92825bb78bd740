"""Rendering a domain :class:`~bot.ports.Notice` as a Block Kit message within Slack's limits.

Limits (docs.slack.dev/reference/block-kit): header text 150 characters
(plain text), section text 3000, 10 fields per section of 2000 each, at most
50 blocks per message (100 in modals and App Home), 25 elements in an
actions block, button text 75, channel topic 250.  Builders cut text on
purpose (with an ellipsis) instead of letting Slack refuse the message.

All person-typed text goes through :func:`bot.slack.mrkdwn.escape`; headers
and buttons use ``plain_text``; mentions come only from validated user ids.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from typing import Any, Mapping

from bot.ports import Button, Notice
from bot.slack import readable
from bot.slack.mrkdwn import escape, escaped_within, is_user_id, mention, truncate
from bot.slack.readable import Names

HEADER_LIMIT = 150
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
FIELDS_PER_SECTION = 10
MESSAGE_BLOCKS_LIMIT = 50
VIEW_BLOCKS_LIMIT = 100
ACTION_ELEMENTS_LIMIT = 25
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
TOPIC_LIMIT = 250
FALLBACK_TEXT_LIMIT = 3000


@dataclass(frozen=True)
class Rendered:
    text: str  # escaped mrkdwn fallback (notifications, screen readers)
    blocks: list[dict[str, Any]]


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def section(mrkdwn_text: str) -> dict[str, Any]:
    """A section of already-escaped mrkdwn (callers escape; this only enforces the length)."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": truncate(mrkdwn_text, SECTION_LIMIT) or " "}}


def context(mrkdwn_text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(mrkdwn_text, SECTION_LIMIT) or " "}]}


ACTION_SUFFIX = "~"  # Slack needs unique action ids in a block: the 2nd "task.complete" becomes "task.complete~2"


def button(b: Button, action_id: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "button", "action_id": action_id or b.action,
                               "text": plain(b.label, BUTTON_TEXT_LIMIT),
                               "value": b.value[:BUTTON_VALUE_LIMIT]}
    if b.style:
        element["style"] = b.style
    return element


def topic(text: str) -> str:
    """A channel topic (no formatting is applied to topics; only the length matters)."""
    return truncate(" ".join(text.split()), TOPIC_LIMIT)


_GROUP_ID = re.compile(r"S[A-Z0-9]{2,}")


def _chunks(lines: tuple[str, ...], mentioned: frozenset[str] | set[str] = frozenset(),
            names: Names | None = None) -> list[str]:
    """Lines made readable (escaped once, people by name, instants as Slack dates) in section-sized pieces."""
    out: list[str] = []
    current = ""
    for line in lines:
        piece = readable.message(line, names, mentioned, limit=SECTION_LIMIT - 120)
        if current and len(current) + 1 + len(piece) > SECTION_LIMIT:
            out.append(current)
            current = piece
        else:
            current = f"{current}\n{piece}" if current else piece
    if current:
        out.append(current)
    return out


def _field_sections(fields: tuple[tuple[str, str], ...], mentioned: set[str],
                    names: Names | None) -> list[dict[str, Any]]:
    sections = []
    for start in range(0, len(fields), FIELDS_PER_SECTION):
        batch = fields[start:start + FIELDS_PER_SECTION]
        sections.append({"type": "section", "fields": [
            {"type": "mrkdwn", "text": truncate(f"*{escaped_within(k, 200)}*\n"
                                                f"{readable.message(v, names, mentioned, limit=FIELD_LIMIT - 210)}",
                                                FIELD_LIMIT)}
            for k, v in batch]})
    return sections


def group_mention(handle: str, group_ids: Mapping[str, str]) -> str:
    """``<!subteam^ID>`` for a user group Slack knows (it notifies its members); else the handle as text."""
    group_id = group_ids.get(handle)
    return f"<!subteam^{group_id}>" if group_id and _GROUP_ID.fullmatch(group_id) else escape(f"@{handle}")


def render(notice: Notice, group_ids: Mapping[str, str] | None = None, names: Names | None = None) -> Rendered:
    """Block Kit blocks and the escaped fallback text for ``notice``; ``group_ids`` maps user-group
    handles to Slack ids (from ``usergroups.list``) so named groups are notified; ``names`` gives the
    name of a Slack user the notice shows without mentioning (see :mod:`bot.slack.readable`)."""
    head = [header(readable.plain(notice.title, names))]
    body: list[dict[str, Any]] = []
    mentionable = {u for u in notice.mention_users if is_user_id(u)}
    mentions = [mention(u) for u in notice.mention_users if u in mentionable]
    mentions += [group_mention(g, group_ids or {}) for g in notice.mention_groups]
    if mentions:
        body.append(section(" ".join(mentions)))
    body += [section(chunk) for chunk in _chunks(notice.lines, mentionable, names)]
    body += _field_sections(notice.fields, mentionable, names)
    tail: list[dict[str, Any]] = []
    buttons = notice.buttons[:ACTION_ELEMENTS_LIMIT]
    if buttons:
        seen: dict[str, int] = {}
        elements = []
        for b in buttons:
            seen[b.action] = seen.get(b.action, 0) + 1
            elements.append(button(b, b.action if seen[b.action] == 1 else f"{b.action}{ACTION_SUFFIX}{seen[b.action]}"))
        tail.append({"type": "actions", "block_id": f"{notice.kind}.actions"[:255], "elements": elements})
    if notice.footer:
        tail.append(context(readable.message(notice.footer, names, limit=SECTION_LIMIT)))
    room = MESSAGE_BLOCKS_LIMIT - len(head) - len(tail)
    if len(body) > room:
        dropped = len(body) - (room - 1)
        body = body[: room - 1] + [section(f"_… {dropped} more part(s) not shown; see the incident timeline._")]
    fallback_parts = [notice.title, *notice.lines[:5]]
    text = readable.message("\n".join(fallback_parts), names, mentionable, limit=FALLBACK_TEXT_LIMIT)
    if mentions:
        text = " ".join(mentions) + " " + text
    return Rendered(text=text, blocks=head + body + tail)


def render_reply(notice: Notice, zone: str = "UTC") -> Rendered:
    """An answer to a person: short mrkdwn, the first line bold, no header, made readable for one reader
    (times in ``zone`` to the minute, users as mentions: see :mod:`bot.slack.readable`). A channel the
    notice names in its metadata (``channel_id``, ``channel_name``) is shown as a link to it."""
    text = "\n".join([f"*{readable.reply(notice.title, zone, limit=500)}*",
                      *(readable.reply(line, zone, limit=1000) for line in notice.lines)])
    channel_id, name = notice.metadata.get("channel_id", ""), notice.metadata.get("channel_name", "")
    if re.fullmatch(r"[CG][A-Z0-9]{2,}", channel_id) and name:
        text = text.replace(escape(f"#{name}"), f"<#{channel_id}>")
    text = truncate(text, SECTION_LIMIT)
    return Rendered(text=text, blocks=[section(text)])
