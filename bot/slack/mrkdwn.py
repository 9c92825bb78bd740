"""The one place where text becomes Slack mrkdwn.

Slack's mrkdwn has exactly three control characters: ``&``, ``<`` and ``>``.
Escaping them (``&`` first) turns ``<!channel>``, ``<@U123>`` and
``<https://evil|Runbook>`` typed by a person into harmless visible text.
Text arrives from Slack escaped the same way: it is unescaped once on the
way in, stored as typed, and escaped once on the way out.
Mentions are built only from validated user ids.  Nothing here ever asks
Slack to parse names (no ``link_names``, no ``parse=full``).
"""

from __future__ import annotations

import re

_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
ELLIPSIS = "…"


def escape(text: str) -> str:
    """Escape user text for mrkdwn (and for the ``text`` fallback of a message)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def unescape(text: str) -> str:
    """Slack's own escaping undone, once: text Slack sends (slash command text) arrives with ``&``, ``<``
    and ``>`` escaped.  One pass, so ``&amp;lt;`` (a person typed "&lt;") becomes "&lt;", not "<"."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def is_user_id(value: str) -> bool:
    return bool(_USER_ID.match(value or ""))


def mention(user_id: str) -> str:
    """``<@U123>`` for a validated Slack user id; anything else is refused."""
    if not is_user_id(user_id):
        raise ValueError(f'expected a Slack user id like "U012AB3CD", got "{user_id}"')
    return f"<@{user_id}>"


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut with an ellipsis."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def escaped_within(text: str, limit: int) -> str:
    """Escape, then fit into ``limit`` characters without cutting an entity like ``&amp;`` in half."""
    full = escape(text)
    if len(full) <= limit:
        return full
    out: list[str] = []
    used = 0
    for char in text:
        piece = escape(char)
        if used + len(piece) > limit - 1:  # keep one character for the ellipsis
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip() + ELLIPSIS
