"""The wire formats, parsed into :class:`~bot.alerts.events.AlertEvent`.

* ``alertmanager``: the Prometheus Alertmanager webhook, version "4"
  (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
  Grafana Alerting's webhook contact point sends the same shape plus
  ``orgId``, ``title``, ``message`` and per-alert ``silenceURL``,
  ``dashboardURL``, ``panelURL`` and ``values``; one parser covers both.  One
  notification is one event: the group (``groupKey``) fires or resolves.
* ``pagerduty``: the PagerDuty Events API v2 (``POST /v2/enqueue``,
  https://developer.pagerduty.com/docs/events-api-v2/trigger-events/):
  ``routing_key``, ``event_action`` trigger/acknowledge/resolve,
  ``dedup_key`` (at most 255 characters), ``payload.summary``, ``.source`` and
  ``.severity`` (critical, error, warning, info) required on a trigger.
* ``generic``: ``{"title", "status": firing|resolved, "dedup_key", "details",
  "link", "labels"}``; ``title`` and ``status`` are required.

Every parser raises :class:`~bot.alerts.events.BadAlert` naming the field.  Before any parser,
:func:`refuse_unstorable` refuses a body holding text no database stores (a NUL character, an unpaired
surrogate escape such as ``\\ud800``), in any key or string, wherever it is.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any, Callable

from bot.alerts.events import AlertEvent, BadAlert

FORMATS = ("alertmanager", "pagerduty", "generic")
MAX_KEY = 255
MAX_SUMMARY = 1024
PD_SEVERITIES = ("critical", "error", "warning", "info")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def refuse_unstorable(body: Any) -> None:
    """:class:`BadAlert` naming the first key or string found holding a NUL character or an unpaired surrogate.

    PostgreSQL's text refuses NUL, and a surrogate has no UTF-8 form (so neither database takes it), but
    both fit in a stored receipt (JSON escapes them): accepted, such an alert would fail triage on every pass
    and hold up every alert accepted after it.  Walked without recursion (the body may be deeply nested)."""
    waiting: list[tuple[str, Any]] = [("", body)]
    while waiting:
        path, value = waiting.pop()
        if isinstance(value, str):
            if _UNSTORABLE.search(value):
                raise BadAlert(path or "body", "holds a NUL character or an unpaired surrogate (\\u0000, "
                                               "\\ud800-\\udfff), which cannot be stored; send UTF-8 text without them")
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                child = f"{path}.{key}" if path else str(key)
                waiting.append((child, item))
                waiting.append((child, key))
        elif isinstance(value, list):
            waiting.extend((f"{path}[{i}]", item) for i, item in reversed(list(enumerate(value))))


def _object(body: Any, where: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadAlert(where or "body", f"expected a JSON object, got {type(body).__name__}")
    return body


def _text(obj: dict[str, Any], name: str, where: str, *, required: bool, limit: int | None = None) -> str:
    value = obj.get(name)
    path = f"{where}.{name}" if where else name
    if value is None or value == "":
        if required:
            raise BadAlert(path, "is required")
        return ""
    if not isinstance(value, str):
        raise BadAlert(path, f"expected a string, got {type(value).__name__}")
    if limit is not None and len(value) > limit:
        raise BadAlert(path, f"expected at most {limit} characters, got {len(value)}")
    return value


def _labels(obj: dict[str, Any], name: str, where: str) -> dict[str, str]:
    value = obj.get(name)
    path = f"{where}.{name}" if where else name
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadAlert(path, f"expected an object of string values, got {type(value).__name__}")
    out = {}
    for k, v in value.items():
        if not isinstance(v, (str, int, float, bool)):
            raise BadAlert(f"{path}.{k}", f"expected a string, got {type(v).__name__}")
        out[str(k)] = str(v)
    return out


def stable_key(key: str) -> str:
    """Keys longer than the column are kept as their SHA-256 (Alertmanager group keys can be long)."""
    return key if len(key) <= MAX_KEY else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


# --- Alertmanager / Grafana ----------------------------------------------------------------


def alertmanager(body: Any) -> list[AlertEvent]:
    body = _object(body, "body")
    version = body.get("version")
    if version != "4":
        raise BadAlert("version", f'expected "4" (the Alertmanager webhook version), got {version!r}')
    status = _text(body, "status", "", required=True)
    if status not in ("firing", "resolved"):
        raise BadAlert("status", f'expected "firing" or "resolved", got "{status}"')
    key = _text(body, "groupKey", "", required=True)
    alerts = body.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        raise BadAlert("alerts", "expected a non-empty list of alerts")
    for i, alert in enumerate(alerts):
        _object(alert, f"alerts[{i}]")
        _labels(alert, "labels", f"alerts[{i}]")
        _labels(alert, "annotations", f"alerts[{i}]")
    common = _labels(body, "commonLabels", "")
    labels = {**common, **_labels(body, "groupLabels", "")}
    annotations = _labels(body, "commonAnnotations", "")
    first = alerts[0]
    first_labels = _labels(first, "labels", "alerts[0]")
    summary = (annotations.get("summary") or _text(body, "title", "", required=False)
               or " ".join(v for v in (first_labels.get("alertname"), first_labels.get("instance")) if v)
               or "alert group " + key)
    firing = [a for a in alerts if a.get("status") == "firing"]
    if len(alerts) > 1:
        summary += f" ({len(firing)} firing of {len(alerts)})"
    link = first.get("generatorURL") or first.get("dashboardURL") or body.get("externalURL") or ""
    details = {"receiver": body.get("receiver", ""), "alerts": len(alerts),
               "truncatedAlerts": body.get("truncatedAlerts", 0),
               "fingerprints": [a.get("fingerprint", "") for a in alerts][:50]}
    for extra in ("orgId", "silenceURL", "dashboardURL", "panelURL"):
        value = body.get(extra) if extra == "orgId" else first.get(extra)
        if value:
            details[extra] = value
    if annotations.get("description"):
        details["description"] = annotations["description"]
    return [AlertEvent(action="resolve" if status == "resolved" else "trigger", key=stable_key(key),
                       summary=summary[:MAX_SUMMARY], labels=labels, severity=labels.get("severity", ""),
                       link=str(link)[:2000], details=details, count=len(alerts))]


# --- PagerDuty Events API v2 -----------------------------------------------------------------


def pagerduty(body: Any, new_key: Callable[[], str] = lambda: uuid.uuid4().hex) -> list[AlertEvent]:
    body = _object(body, "body")
    _text(body, "routing_key", "", required=True)
    action = _text(body, "event_action", "", required=True)
    if action not in ("trigger", "acknowledge", "resolve"):
        raise BadAlert("event_action", f'expected "trigger", "acknowledge" or "resolve", got "{action}"')
    key = _text(body, "dedup_key", "", required=action != "trigger", limit=MAX_KEY)
    if action != "trigger":
        return [AlertEvent(action=action, key=key, summary="")]  # type: ignore[arg-type]
    payload = _object(body.get("payload"), "payload") if body.get("payload") is not None else None
    if payload is None:
        raise BadAlert("payload", "is required on a trigger (summary, source, severity)")
    summary = _text(payload, "summary", "payload", required=True)
    source = _text(payload, "source", "payload", required=True)
    severity = _text(payload, "severity", "payload", required=True)
    if severity not in PD_SEVERITIES:
        raise BadAlert("payload.severity", f'expected one of {", ".join(PD_SEVERITIES)}, got "{severity}"')
    labels = {"severity": severity, "source": source}
    for name in ("component", "group", "class"):
        value = _text(payload, name, "payload", required=False)
        if value:
            labels[name] = value
    details = payload.get("custom_details")
    links = body.get("links") if isinstance(body.get("links"), list) else []
    link = next((x.get("href", "") for x in links if isinstance(x, dict) and x.get("href")), "")
    return [AlertEvent(action="trigger", key=key or new_key(), summary=summary[:MAX_SUMMARY], labels=labels,
                       severity=severity, link=str(link)[:2000],
                       details={"custom_details": details} if details is not None else {})]


# --- generic -------------------------------------------------------------------------------


def generic(body: Any) -> list[AlertEvent]:
    body = _object(body, "body")
    title = _text(body, "title", "", required=True, limit=MAX_SUMMARY)
    status = _text(body, "status", "", required=True)
    if status not in ("firing", "resolved"):
        raise BadAlert("status", f'expected "firing" or "resolved", got "{status}"')
    key = _text(body, "dedup_key", "", required=False, limit=MAX_KEY) or stable_key("title:" + title)
    details = body.get("details")
    if details is not None and not isinstance(details, dict):
        raise BadAlert("details", f"expected an object, got {type(details).__name__}")
    labels = _labels(body, "labels", "")
    return [AlertEvent(action="resolve" if status == "resolved" else "trigger", key=key, summary=title,
                       labels=labels, severity=labels.get("severity", ""),
                       link=_text(body, "link", "", required=False, limit=2000), details=details or {})]


PARSERS: dict[str, Callable[[Any], list[AlertEvent]]] = {
    "alertmanager": alertmanager, "pagerduty": pagerduty, "generic": generic}
