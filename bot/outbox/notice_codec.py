"""A :class:`~bot.ports.Notice` as JSON, so a claimed reminder can be re-sent exactly as first rendered."""

from __future__ import annotations

from typing import Any

from bot.ports import Button, Notice


def notice_to_json(notice: Notice) -> dict[str, Any]:
    return {
        "kind": notice.kind,
        "title": notice.title,
        "lines": list(notice.lines),
        "fields": [[k, v] for k, v in notice.fields],
        "buttons": [{"action": b.action, "label": b.label, "value": b.value, "style": b.style} for b in notice.buttons],
        "footer": notice.footer,
        "mention_users": list(notice.mention_users),
        "mention_groups": list(notice.mention_groups),
        "metadata": dict(notice.metadata),
    }


def notice_from_json(data: dict[str, Any]) -> Notice:
    return Notice(
        kind=data["kind"],
        title=data["title"],
        lines=tuple(data.get("lines", ())),
        fields=tuple((k, v) for k, v in data.get("fields", ())),
        buttons=tuple(Button(b["action"], b["label"], b["value"], b.get("style")) for b in data.get("buttons", ())),
        footer=data.get("footer", ""),
        mention_users=tuple(data.get("mention_users", ())),
        mention_groups=tuple(data.get("mention_groups", ())),
        metadata=dict(data.get("metadata", {})),
    )
