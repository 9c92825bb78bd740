"""Files that hold personal data (calendars with leave, evidence, imported people) are readable by their owner only."""

from __future__ import annotations

import os
from pathlib import Path

OWNER_ONLY = 0o600


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` (UTF-8) with mode 0600, also when the file existed with wider rights."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, OWNER_ONLY)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    os.chmod(path, OWNER_ONLY)
    return path
