"""How a domain's ``tables`` module puts a table on the chain: one call that registers the table as evidence
(:func:`bot.audit.evidence.register`: its rows chained and compared) and its typed-text columns as the ones a purge
may redact (:mod:`bot.audit.redactable`, which the chain's own check, below the evidence layer, reads)."""

from __future__ import annotations

from bot.audit.evidence import register as register_chained
from bot.audit.redactable import register_typed_text


def register(table: str, typed_text: tuple[str, ...] = ()) -> None:
    register_typed_text(table, typed_text)
    register_chained(table, typed_text)
