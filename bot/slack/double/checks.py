"""What the Slack double checks in a request before acting on it: argument shapes and Block Kit limits,
refused the way Slack refuses them (``ok: false`` with an error code)."""

from __future__ import annotations

import json
from typing import Any

HEADER_LIMIT, SECTION_LIMIT, BLOCKS_LIMIT, TOPIC_LIMIT, BOOKMARKS_LIMIT = 150, 3000, 50, 250, 100


class ApiError(Exception):
    def __init__(self, code: str, **extra: Any) -> None:
        super().__init__(code)
        self.code = code
        self.extra = extra


def as_flag(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")


def as_list(value: Any) -> list[Any]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, list):
        raise ApiError("invalid_arguments")
    return value


def as_dict(value: Any) -> dict[str, Any] | None:
    if value in (None, ""):
        return None
    if isinstance(value, str):
        value = json.loads(value)
    if not isinstance(value, dict):
        raise ApiError("invalid_arguments")
    return value


def check_blocks(blocks: list[dict[str, Any]], *, limit: int = BLOCKS_LIMIT) -> None:
    """Slack refuses messages whose blocks break these limits with ``invalid_blocks``."""
    if len(blocks) > limit:
        raise ApiError("invalid_blocks", detail=f"more than {limit} blocks")
    for block in blocks:
        kind = block.get("type")
        text = (block.get("text") or {}).get("text", "")
        if kind == "header" and len(text) > HEADER_LIMIT:
            raise ApiError("invalid_blocks", detail=f"header text over {HEADER_LIMIT} characters")
        if kind == "section":
            if len(text) > SECTION_LIMIT:
                raise ApiError("invalid_blocks", detail=f"section text over {SECTION_LIMIT} characters")
            if len(block.get("fields") or []) > 10:
                raise ApiError("invalid_blocks", detail="more than 10 section fields")
        if kind == "actions":
            elements = block.get("elements") or []
            if len(elements) > 25:
                raise ApiError("invalid_blocks", detail="more than 25 elements in an actions block")
            ids = [e.get("action_id") for e in elements if e.get("action_id")]
            if len(ids) != len(set(ids)):
                raise ApiError("invalid_blocks", detail="action_id values must be unique within a block")
