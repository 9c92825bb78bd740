"""What a database error says, without the values it was about.

A database error is logged, kept as an outbox row's last error, told to the operators in Slack and printed by
the CLI; the values of the statement that failed are rows (an e-mail address, a phone number, a note someone
typed).  The engines hide bound parameters (``hide_parameters``), but the driver's own message keeps
PostgreSQL's ``DETAIL`` (``Key (email)=(ana@example.org) already exists.``, ``Failing row contains (…)``) and
some primary messages quote the value (``value "+447700900123" is out of range for type integer``).

:func:`database_error_text` is the one way a database error becomes text: the error class, the SQLSTATE (or
SQLite's error name), the primary message with any quoted value replaced by ``"…"`` (names of relations,
constraints, columns and types stay), the table and constraint, and the statement's kind and target table.
:func:`failure_text` is that for a database error and ``"Type: message"`` for any other.

:func:`hide_values` is installed on every engine (``handle_error``): it gives the raised SQLAlchemy error and
the driver's error it wraps that same text, so a traceback in a log shows no value either.
"""

from __future__ import annotations

import re

HIDDEN = '"…"'
_PRIMARY_LIMIT = 300
# A quoted word right after one of these names a database object or the server, not a value (PostgreSQL's and
# SQLite's messages; psycopg's "connection to server at "db.internal", port 5432 failed ... for user "bot"").
_NAMES_AN_OBJECT = re.compile(
    r"(?:relation|table|constraint|column|index|type|schema|function|sequence|database|role|trigger|view|"
    r"extension|collation|domain|savepoint|cursor|operator|near|server at|socket|user)\s*$", re.IGNORECASE)
_QUOTED = re.compile(r"\"[^\"]*\"|'[^']*'")
_TARGET = re.compile(r"^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(\"?[\w.]+\"?)", re.IGNORECASE)
_KIND = re.compile(r"^\s*(\w+)")


def _redacted(message: str) -> str:
    """The first line of ``message``, quoted values replaced by ``"…"``; quoted object names kept."""
    first = message.strip().splitlines()[0] if message.strip() else ""

    def one(match: re.Match) -> str:
        return match.group(0) if _NAMES_AN_OBJECT.search(first[:match.start()]) else HIDDEN

    return _QUOTED.sub(one, first)[:_PRIMARY_LIMIT]


def _driver_error(exc: BaseException) -> BaseException | None:
    from sqlalchemy.exc import StatementError

    return exc.orig if isinstance(exc, StatementError) else None


def _primary(error: BaseException) -> str:
    diag = getattr(error, "diag", None)  # psycopg: the server's primary message, without DETAIL/CONTEXT/HINT
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    return _redacted(primary if primary else str(error))


def _facts(exc: BaseException, driver: BaseException | None) -> list[str]:
    facts: list[str] = []
    code = getattr(driver, "sqlstate", None) or getattr(driver, "sqlite_errorname", None)
    if code:
        facts.append(f"SQLSTATE {code}" if getattr(driver, "sqlstate", None) else str(code))
    diag = getattr(driver, "diag", None)
    for label, name in (("table", "table_name"), ("column", "column_name"), ("constraint", "constraint_name")):
        value = getattr(diag, name, None) if diag is not None else None
        if value:
            facts.append(f"{label} {value}")
    statement = getattr(exc, "statement", None)
    if statement:
        target = _TARGET.match(statement)
        kind = _KIND.match(statement)
        if target:
            facts.append(f"{' '.join(target.group(1).upper().split())} {target.group(2)}")
        elif kind:
            facts.append(f"{kind.group(1).upper()} statement")
    return facts


def is_database_error(exc: BaseException) -> bool:
    """A SQLAlchemy error, or a driver's (psycopg, sqlite3) raised through a raw connection."""
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        return True
    module = type(exc).__module__ or ""
    return module.startswith(("psycopg", "sqlite3")) and isinstance(exc, Exception)


def database_error_text(exc: BaseException) -> str:
    """``exc`` (a SQLAlchemy or driver error) as one line an operator can act on, with no value in it."""
    driver = _driver_error(exc)
    if driver is None and not hasattr(exc, "statement"):
        driver = exc  # a driver's error raised through a raw connection
    source = driver if driver is not None else exc
    facts = _facts(exc, driver) + ["values not shown"]
    return f"{type(exc).__name__}: {_primary(source)} ({'; '.join(facts)})"


def failure_text(exc: BaseException) -> str:
    """What a failure is told as: :func:`database_error_text` for a database error, else ``Type: message``."""
    return database_error_text(exc) if is_database_error(exc) else f"{type(exc).__name__}: {exc}"


def hide_values(context) -> None:
    """``handle_error`` listener: the raised error and the driver's error it wraps say
    :func:`database_error_text`'s text, not the driver's message (so no traceback quotes a value)."""
    raised, driver = context.sqlalchemy_exception, context.original_exception
    if raised is None:
        return
    text = database_error_text(raised).split(": ", 1)[1]
    for error in _chain(driver):  # read again by database_error_text: the primary message alone
        error.args = (_primary(error),)
    raised.args = (f"({type(driver).__module__}.{type(driver).__name__}) {text}",)


def _chain(error: BaseException | None) -> list[Exception]:
    """``error`` and the errors it was raised from (an ``Enum``'s ``LookupError`` from a ``KeyError`` of the
    value), each once; not one it was raised while handling, which its handler may still be telling."""
    found: list[Exception] = []
    while isinstance(error, Exception) and error not in found and len(found) < 10:
        found.append(error)
        error = error.__cause__
    return found


def install() -> None:
    """Make every engine of this process hide values in its errors (idempotent)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "handle_error", hide_values):
        event.listen(Engine, "handle_error", hide_values)
