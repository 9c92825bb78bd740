"""The two columns of the incident table the audit layer reads: ``id`` (an incident's chain is keyed by it)
and ``number`` (what people and auditors call it).

Described here as a plain SQL table, not imported from :mod:`bot.incidents.tables`: the incidents build on
the audit trail, so the trail must not import them back. The names match that model's table.
"""

from __future__ import annotations

from sqlalchemy import Integer, column, table

INCIDENT = table("incident", column("id", Integer), column("number", Integer))
