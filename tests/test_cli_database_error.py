"""A command the database refuses: the CLI says which error, table and constraint, never the values."""

from __future__ import annotations

from bot.cli import main
from tests.store.database_errors import ADDRESS, contacts, insert_again  # noqa: F401  (fixture)


def test_a_refused_statement_is_told_without_its_values(store, contacts, database_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    # `audit verify` reads the global chain; here its statement is refused with the address in PostgreSQL's DETAIL
    monkeypatch.setattr("bot.audit.evidence.verify_incident", lambda s, *_, **__: insert_again(s))
    assert main(["audit", "verify"]) == 1
    said = capsys.readouterr()
    assert ADDRESS not in said.out + said.err
    assert said.err.startswith("database error: IntegrityError: ") and "INSERT INTO probe_contact" in said.err
    assert "--verbose" in said.err  # how to see more
