"""Slack channel names: lowercase letters, digits, ``-`` and ``_``, at most 80 characters."""

from __future__ import annotations

import re
import unicodedata

MAX_LENGTH = 80
_INVALID = re.compile(r"[^a-z0-9_-]+")


def normalise(name: str) -> str:
    """A valid channel name from ``name`` (accents folded, other characters become ``-``, cut to 80)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    cleaned = re.sub(r"-{2,}", "-", _INVALID.sub("-", folded)).strip("-")
    if not cleaned:
        raise ValueError(f'expected a channel name with at least one letter or digit, got "{name}"')
    return cleaned[:MAX_LENGTH].rstrip("-_") or cleaned[:MAX_LENGTH]


def with_suffix(name: str, n: int) -> str:
    """``name-n``, shortening ``name`` so the result still fits in 80 characters."""
    suffix = f"-{n}"
    return name[: MAX_LENGTH - len(suffix)].rstrip("-_") + suffix
