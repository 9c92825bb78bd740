"""What a person reads: the domain's plain text, escaped once and made readable for Slack.

The domain writes exact text: instants in ISO 8601 with an offset (to the microsecond),
people as Slack user ids, the incident channel as its id.  Here that text is turned into
what a person reads, in one pass that escapes the typed parts exactly once and renders
the recognised parts:

============  ===========================  ==============================  =====================
found         a reply (one reader)         a channel message (many)        plain text (header,
                                                                           topic)
============  ===========================  ==============================  =====================
instant       the reader's zone, to the    Slack's date token: each        UTC, to the minute
              minute: ``Tue 03 Mar 10:00   reader sees their own zone
              CET``
user id       a mention (ephemeral:        the person's name (a mention    the person's name
              notifies nobody)             would notify)
channel id    a link ``<#C…>``             a link ``<#C…>``                left as it is
============  ===========================  ==============================  =====================

A user the message mentions anyway is shown as that mention everywhere in it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

from bot.clock import UTC
from bot.slack.mrkdwn import ELLIPSIS, escape, unescape

Names = Callable[[str], str]

INSTANT = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?(?:Z|[+-]\d{2}:\d{2})"
# Slack ids: a letter and 8 to 10 capitals or digits, with a digit somewhere ("WARNING" is a word)
USER_ID = r"[UW](?=[A-Z0-9]*\d)[A-Z0-9]{8,10}"
CHANNEL_ID = r"[CG](?=[A-Z0-9]*\d)[A-Z0-9]{8,10}"
_EDGE_BEFORE = r"(?<![\w<@#|^/:.-])"
_EDGE_AFTER = r"(?![\w>|/-])"
_TOKEN = re.compile(rf"(?P<instant>(?<![\d-]){INSTANT}(?![\d:]))"
                    rf"|(?P<user>{_EDGE_BEFORE}{USER_ID}{_EDGE_AFTER})"
                    rf"|(?P<channel>{_EDGE_BEFORE}{CHANNEL_ID}{_EDGE_AFTER})")
DATE_FORMAT = "{date_short_pretty} {time}"  # Slack's tokens: "Mar 3, 2026 10:00" in the reader's zone


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def local(at: datetime, zone: str) -> str:
    """``Tue 03 Mar 09:00 CET``: the reader's zone, to the minute."""
    return at.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")


def utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%a %d %b %Y %H:%M UTC")


def slack_date(at: datetime) -> str:
    """Slack's date formatting: every reader sees the instant in their own zone; the fallback is UTC."""
    return f"<!date^{int(at.timestamp())}^{DATE_FORMAT}|{utc(at)}>"


def _atoms(text: str, *, on_instant: Callable[[datetime], str], on_user: Callable[[str], str],
           on_channel: Callable[[str], str], escaping: bool, whole: bool = False) -> Iterable[str]:
    """The rendered text in pieces that may not be cut: one escaped character, or one rendered token
    (``whole``: the text between tokens in one piece, for text that fits anyway)."""
    position = 0
    for match in _TOKEN.finditer(text):
        if whole:
            yield escape(text[position:match.start()]) if escaping else text[position:match.start()]
        else:
            for char in text[position:match.start()]:
                yield escape(char) if escaping else char
        kind, value = match.lastgroup, match.group()
        if kind == "instant":
            yield on_instant(instant(value))
        elif kind == "user":
            yield on_user(value)
        else:
            yield on_channel(value)
        position = match.end()
    if whole:
        yield escape(text[position:]) if escaping else text[position:]
    else:
        for char in text[position:]:
            yield escape(char) if escaping else char


def _fit(text: str, limit: int | None, **rendering: Any) -> str:
    """The rendered text, cut at a piece boundary with an ellipsis when it is longer than ``limit``."""
    rendered = "".join(_atoms(text, whole=True, **rendering))
    if limit is None or len(rendered) <= limit:
        return rendered
    out: list[str] = []
    used = 0
    for piece in _atoms(text, **rendering):
        if used + len(piece) > limit - 1:  # one character for the ellipsis
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + ELLIPSIS


def reply(text: str, zone: str, *, limit: int | None = None) -> str:
    """mrkdwn for one reader (an ephemeral reply, a DM to the person acting)."""
    return _fit(text, limit, on_instant=lambda at: local(at, zone), on_user=lambda u: f"<@{u}>",
                on_channel=lambda c: f"<#{c}>", escaping=True)


def message(text: str, names: Names | None = None, mentioned: Iterable[str] = (), *,
            limit: int | None = None) -> str:
    """mrkdwn for a channel message: people by name (or as the mention the message makes anyway)."""
    mention_set = set(mentioned)

    def user(u: str) -> str:
        if u in mention_set:
            return f"<@{u}>"
        return escape(names(u)) if names else u

    return _fit(text, limit, on_instant=slack_date, on_user=user, on_channel=lambda c: f"<#{c}>", escaping=True)


def plain(text: str, names: Names | None = None, *, limit: int | None = None) -> str:
    """Plain text (a header, a button, a channel topic): nothing is markup, people by name, UTC times."""
    return _fit(text, limit, on_instant=utc, on_user=lambda u: names(u) if names else u,
                on_channel=lambda c: c, escaping=False)


_RENDERED = re.compile(r"<@([UW][A-Z0-9]+)>|<#([CG][A-Z0-9]+)(?:\|[^>]*)?>|<!date\^\d+\^[^|>]*\|([^>]*)>")


def unrender(mrkdwn: str) -> str:
    """The plain text a :func:`reply` was made from (ids back as ids, dates as their fallback, entities
    decoded once), for sending it again through a path that renders it itself."""
    def token(m: re.Match[str]) -> str:
        return m.group(1) or m.group(2) or m.group(3) or ""

    return unescape(_RENDERED.sub(token, mrkdwn))
