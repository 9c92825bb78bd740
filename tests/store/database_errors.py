"""A real database error whose driver message carries an e-mail address or a phone number (for the tests of
bot.store.error_text and of the places that record, log or tell a failure)."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Enum, Integer, MetaData, String, Table, insert

ADDRESS = "ana.lopez@example.org"
PHONE = "+447700900123"

_tables = MetaData()
CONTACTS = Table("probe_contact", _tables, Column("id", Integer, primary_key=True),
                 Column("email", String(80), unique=True), Column("reach", Integer),
                 Column("method", Enum("sms", "voice", name="probe_method", validate_strings=True)))


@pytest.fixture
def contacts(store):
    """A table with a unique e-mail column, dropped after the test; ``ADDRESS`` is in it already."""
    _tables.create_all(store.engine)
    try:
        with store.session() as s:
            s.execute(insert(CONTACTS).values(id=1, email=ADDRESS))
        yield CONTACTS
    finally:
        _tables.drop_all(store.engine)


def insert_again(session) -> None:
    """Insert ``ADDRESS`` again in ``session``: a unique violation (PostgreSQL's DETAIL quotes the address)."""
    session.execute(insert(CONTACTS).values(id=2, email=ADDRESS))


def violate(store) -> Exception:
    """The unique violation of :func:`insert_again` in a unit of work of its own."""
    try:
        with store.session() as s:
            insert_again(s)
    except Exception as exc:  # noqa: BLE001 - returned for the test to look at
        return exc
    raise AssertionError("the duplicate address was accepted")
