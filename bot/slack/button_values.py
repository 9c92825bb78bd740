"""A button's value names the row it acts on (``page:42``, ``review:7``): reading the id back."""

from __future__ import annotations


def parse_value(value: str, prefix: str) -> int:
    head, _, tail = (value or "").partition(":")
    if head != prefix or not tail.isdigit():
        raise ValueError(f'expected a button value "{prefix}:<id>", got "{value}"')
    return int(tail)
