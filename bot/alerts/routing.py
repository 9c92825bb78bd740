"""Which route an alert takes, and whether a silence or maintenance window holds it back.

A matcher is ``label: value`` or ``label: [values]``; every label named
must match (an alert without the label does not match).  ``sources``, when
given, limits a route or window to those senders.  Routes are tried in order;
the first match wins and ``fallback`` takes the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.alerts.config import AlertsFile, Matchers, Route, Window


def matches(matchers: Matchers, sources: list[str], source: str, labels: dict[str, str]) -> bool:
    if sources and source not in sources:
        return False
    for name, want in matchers.items():
        have = labels.get(name)
        if have is None or have not in (want if isinstance(want, list) else [want]):
            return False
    return True


@dataclass(frozen=True)
class Chosen:
    route: Route
    name: str  # "routes[2]" or "fallback", for the disposition


def choose_route(alerts: AlertsFile, source: str, labels: dict[str, str]) -> Chosen:
    for i, route in enumerate(alerts.routes):
        if matches(route.match, route.sources, source, labels):
            return Chosen(route, f"routes[{i}]")
    return Chosen(alerts.fallback, "fallback")


@dataclass(frozen=True)
class Suppression:
    kind: str  # "silence" | "maintenance"
    window: Window


def suppression(alerts: AlertsFile, source: str, labels: dict[str, str], at: datetime) -> Suppression | None:
    """The maintenance window or silence in force at ``at`` that matches the alert, if any."""
    for kind, windows in (("maintenance", alerts.maintenance), ("silence", alerts.silences)):
        for window in windows:
            if window.starts <= at < window.ends and matches(window.match, window.sources, source, labels):
                return Suppression(kind, window)
    return None
