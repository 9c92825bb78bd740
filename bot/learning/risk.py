"""The simple risk score a product owner ranks follow-ups by: impact level x likelihood level (1..25).

Both scales have five named steps, the usual 5x5 risk matrix:

* impact: negligible 1, minor 2, moderate 3, major 4, severe 5 (what happens if the
  risk materialises, described in plain words next to the level);
* likelihood over a horizon (default 12 months): rare 1, unlikely 2, possible 3,
  likely 4, almost-certain 5.

When the proposer gives no impact level, the incident's own severity is the
best first guess of what a repeat would do: the most severe playbook (rank 1)
means severe, rank 2 major, rank 3 moderate, rank 4 minor, lower ranks negligible.
"""

from __future__ import annotations

import re

IMPACT_LEVELS = ("negligible", "minor", "moderate", "major", "severe")
LIKELIHOOD_LEVELS = ("rare", "unlikely", "possible", "likely", "almost-certain")
_HORIZON = re.compile(r"^(\d{1,3})\s*(m|mo|months?|y|yr|years?|w|weeks?)$", re.IGNORECASE)


def impact_level(name: str) -> int:
    word = name.strip().lower()
    if word not in IMPACT_LEVELS:
        raise ValueError(f'expected an impact level ({", ".join(IMPACT_LEVELS)}), got "{name}"')
    return IMPACT_LEVELS.index(word) + 1


def likelihood_level(name: str) -> int:
    word = name.strip().lower().replace("_", "-").replace(" ", "-")
    if word not in LIKELIHOOD_LEVELS:
        raise ValueError(f'expected a likelihood ({", ".join(LIKELIHOOD_LEVELS)}), got "{name}"')
    return LIKELIHOOD_LEVELS.index(word) + 1


def impact_from_rank(rank: int) -> int:
    """Rank 1 (most severe playbook) -> 5 severe ... rank 5 and below -> 1 negligible."""
    return max(1, 6 - rank)


def horizon_months(text: str) -> int:
    """``12m``, ``2y``, ``26w`` -> months (weeks rounded up to whole months), 1..120."""
    match = _HORIZON.match(text.strip())
    if not match:
        raise ValueError(f'expected a horizon like "12m", "2y" or "26w", got "{text}"')
    number, unit = int(match.group(1)), match.group(2).lower()
    months = number * 12 if unit.startswith("y") else -(-number * 12 // 52) if unit.startswith("w") else number
    if not 1 <= months <= 120:
        raise ValueError(f"expected a horizon between 1 month and 10 years, got {text}")
    return months


def score(impact: int, likelihood: int) -> int:
    return impact * likelihood


def describe_horizon(months: int) -> str:
    return f"{months // 12}y" if months % 12 == 0 else f"{months}m"
