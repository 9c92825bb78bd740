"""A database error's text names the statement, never its values.

The outbox stores ``f"{type(exc).__name__}: {exc}"`` as a row's last error, logs it and may tell people; the
values of a failed statement are rows (a phone number, a note someone typed). SQLAlchemy appends them as
``[parameters: ...]`` unless the engine hides them.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import StatementError

SECRET = "+447700900123 note: Alice's sick child"


def test_a_failed_statement_does_not_carry_its_values_in_its_text(store):
    with pytest.raises(StatementError) as failed:
        with store.session() as s:
            s.execute(text("INSERT INTO no_such_table (x) VALUES (:x)"), {"x": SECRET})
    message = str(failed.value)
    assert "no_such_table" in message  # still says what failed
    assert SECRET not in message and "+447700900123" not in message
