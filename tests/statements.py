"""Which SQL statements a block of code sent: for tests that a batch goes to the database as one statement."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import event


@contextmanager
def statements_sent(engine: Any, prefix: str) -> Iterator[list[tuple[str, bool]]]:
    """Collect (statement, executemany) for every statement starting with ``prefix`` (case-insensitive)."""
    seen: list[tuple[str, bool]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(prefix.upper()):
            seen.append((statement, executemany))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)
