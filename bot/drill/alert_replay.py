"""``drill --alert FILE``: an alert, as a sender would post it, opens the drill's incident.

The file is an Alertmanager / Grafana webhook, a PagerDuty Events v2 event
or the generic format.  It goes through the real intake (stored as a
receipt under the first source of that format in config/alerts.yaml, with a
drill token in place of the real one) and the real triage (routes, silences,
maintenance, grouping), so the newcomer sees which route it took and who is
paged under the labor rules, with the disposition that goes on the chain.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bot.alerts.events import BadAlert
from bot.alerts.inbox import Inbox
from bot.alerts.triage import Disposition, Triage

DRILL_TOKEN = "drill-token"


class AlertFileError(ValueError):
    """The file cannot be replayed: what was wrong and how to fix it."""


def format_of(body: Any) -> str:
    if isinstance(body, dict) and "event_action" in body:
        return "pagerduty"
    if isinstance(body, dict) and "groupKey" in body and "alerts" in body:
        return "alertmanager"
    return "generic"


def load(path: str) -> Any:
    """The alert file's body (JSON), or a clear error."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise AlertFileError(f"cannot read the alert file {path}: {exc}") from None


def replay(world: Any, path: str) -> tuple[Any | None, list[Disposition], str]:
    """(the DeclareResult of the incident it opened or None, the dispositions, the source id)."""
    return post(world, load(path))


def post(world: Any, body: Any) -> tuple[Any | None, list[Disposition], str]:
    """Send ``body`` as its sender would (through the intake, with the drill token) and triage it."""
    config = world.config
    if not config.loaded("alerts"):
        raise AlertFileError("there is no config/alerts.yaml: alert intake is off (see docs/alerts.md)")
    fmt = format_of(body)
    formats = ("alertmanager", "grafana") if fmt == "alertmanager" else (fmt,)
    alerts = config.one("alerts")
    source = next((s for s in alerts.sources if s.format in formats), None)
    if source is None:
        raise AlertFileError(f"config/alerts.yaml has no source of format {fmt}; add one to replay this file")
    environ = {s.token_env: DRILL_TOKEN for s in alerts.sources}
    inbox = Inbox(world.store, lambda: config, world.clock, environ=environ)
    declared: list[Any] = []
    triage = Triage(world.store, lambda: config, world.clock, world.incidents, on_declared=declared.append)
    try:
        if fmt == "pagerduty":
            inbox.enqueue({**body, "routing_key": DRILL_TOKEN})
        else:
            inbox.webhook(source.id, DRILL_TOKEN, body)
    except BadAlert as exc:
        raise AlertFileError(f"the sender would get 400: {exc}") from None
    dispositions = triage.run_pending()
    return (declared[0] if declared else None), dispositions, source.id


def resolved(body: Any, at: datetime, key: str) -> Any:
    """What the same sender posts when the alert ends at ``at``: Alertmanager's ``resolved`` webhook (with
    ``send_resolved: true``; ``endsAt`` set), PagerDuty's ``resolve`` of the same ``dedup_key``, the generic
    ``status: resolved``. ``key``: the group's key (PagerDuty's ``dedup_key`` when the trigger had none and the
    intake made one)."""
    fmt = format_of(body)
    if fmt == "pagerduty":
        return {"event_action": "resolve", "dedup_key": body.get("dedup_key") or key}
    if fmt == "alertmanager":
        ends = at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        return {**body, "status": "resolved",
                "alerts": [{**a, "status": "resolved", "endsAt": ends} for a in body.get("alerts", [])]}
    return {**body, "status": "resolved"}
