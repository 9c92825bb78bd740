"""A database error's text names the statement, the error and the constraint, never the values.

The outbox stores a failure's text as a row's last error, logs it and may tell people; the values of a failed
statement are rows (a phone number, a note someone typed). SQLAlchemy appends them as ``[parameters: ...]``
unless the engine hides them, and the driver's own message quotes them too (PostgreSQL's
``DETAIL:  Key (email)=(…) already exists.``, ``value "+44…" is out of range``).
"""

from __future__ import annotations

import logging
import traceback

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import StatementError

from bot.store.error_text import database_error_text, failure_text
from tests.store.database_errors import ADDRESS, CONTACTS, PHONE, contacts, violate  # noqa: F401  (fixture)

SECRET = "+447700900123 note: Alice's sick child"


def _everything_said(exc: BaseException) -> str:
    return "\n".join([str(exc), failure_text(exc), database_error_text(exc), *traceback.format_exception(exc)])


def test_a_failed_statement_does_not_carry_its_values_in_its_text(store):
    with pytest.raises(StatementError) as failed:
        with store.session() as s:
            s.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": SECRET})
    message = str(failed.value)
    assert "no_such_table" in message  # still says what failed
    assert SECRET not in message and "+447700900123" not in message


def test_a_unique_violation_names_its_table_and_column_not_the_address(store, contacts):
    exc = violate(store)
    said = _everything_said(exc)
    assert ADDRESS not in said and "ana.lopez" not in said
    told = failure_text(exc)
    assert told.startswith("IntegrityError: ") and "INSERT INTO probe_contact" in told
    if store.dialect == "postgresql":
        assert "SQLSTATE 23505" in told and "constraint probe_contact_email_key" in told
    else:
        assert "SQLITE_CONSTRAINT_UNIQUE" in told and "probe_contact.email" in told


def test_a_value_quoted_in_the_message_itself_is_hidden(store, contacts):
    # PostgreSQL quotes an out-of-range number in its primary message; SQLAlchemy's Enum quotes the value it
    # does not know (raised from a KeyError of the value), on every database
    statements = [insert(CONTACTS).values(id=3, method=ADDRESS)]
    if store.dialect == "postgresql":
        statements.append(text("INSERT INTO probe_contact (id, reach) VALUES (4, :reach)").bindparams(reach=PHONE))
    for statement in statements:
        with pytest.raises(StatementError) as failed:
            with store.session() as s:
                s.execute(statement)
        said = _everything_said(failed.value)
        assert ADDRESS not in said and PHONE not in said and "447700900123" not in said
        assert "INSERT INTO probe_contact" in failure_text(failed.value)


def test_a_logged_database_error_shows_no_value(store, contacts, caplog):
    exc = violate(store)
    with caplog.at_level(logging.ERROR):
        try:
            raise exc
        except Exception:
            logging.getLogger("bot.test").exception("recording failed")
    assert "probe_contact" in caplog.text  # the traceback is there
    assert ADDRESS not in caplog.text


def test_any_other_failure_is_told_by_its_type_and_message():
    assert failure_text(ValueError("no such rota")) == "ValueError: no such rota"


def test_a_connection_failure_keeps_the_server_it_could_not_reach():
    # nothing of a row is in it: what the operator must check (the host, the user) stays
    from sqlalchemy import create_engine

    import bot.store.database  # noqa: F401  (installs the hook on every engine)

    engine = create_engine("postgresql+psycopg://probe@127.0.0.1:1/nowhere", connect_args={"connect_timeout": 2})
    with pytest.raises(Exception) as failed:
        engine.connect()
    told = failure_text(failed.value)
    assert told.startswith("OperationalError: ") and '"127.0.0.1"' in told, told
