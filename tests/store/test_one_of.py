"""``one_of``: a list bound when the statement runs selects the same rows as ``IN`` (SQLite, or TEST_DATABASE_URL),
and on PostgreSQL the statement's SQL does not change with the list's length (so the driver prepares it once)."""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select

from bot.store.one_of import one_of

ROWS = [(1, "incident:1"), (2, "incident:2"), (3, "global"), (4, "incident:4")]


def test_the_rows_of_the_listed_values_and_only_those(store):
    table = Table("one_of_probe", MetaData(), Column("id", Integer, primary_key=True), Column("chain", String(40)))
    table.create(store.engine)
    try:
        postgresql = store.dialect == "postgresql"
        with store.engine.begin() as connection:
            connection.execute(insert(table), [{"id": i, "chain": c} for i, c in ROWS])
            by_id = select(table.c.id).where(one_of(table.c.id, "ids", postgresql=postgresql)).order_by(table.c.id)
            by_chain = select(table.c.id).where(one_of(table.c.chain, "chains", postgresql=postgresql))
            assert connection.execute(by_id, {"ids": [4, 2, 9]}).scalars().all() == [2, 4]
            assert connection.execute(by_id, {"ids": []}).scalars().all() == []
            assert sorted(connection.execute(by_chain, {"chains": ["global", "incident:1"]}).scalars()) == [1, 3]
            sent: list[str] = []
            listen = lambda *args: sent.append(args[2])  # noqa: E731 - (conn, cursor, statement, ...)
            event.listen(store.engine, "before_cursor_execute", listen)
            try:
                for ids in ([1], [1, 2], [1, 2, 3]):
                    assert connection.execute(by_id, {"ids": ids}).scalars().all() == ids
            finally:
                event.remove(store.engine, "before_cursor_execute", listen)
            # PostgreSQL: one statement whatever the length; SQLite: a placeholder per value, as IN always was.
            assert len(set(sent)) == (1 if postgresql else 3), sent
    finally:
        table.drop(store.engine)
