"""What is malformed in an event's data: rows written by hand (an insider with the database, or a hand-made pack)
must be reported with their chain and number, not make the verification stop half-way with a traceback.

The bot writes ``data`` as a JSON object; its ``evidence`` as a list of ``{"table", "id", "row"}`` or
``{"table", "id", "deleted": true}`` or ``{"table", "id", "moved_to": <incident id or null>}`` entries (:mod:`bot.audit.evidence`); its
``effects_wanted`` as a list of ``{"key", "kind"}`` entries (:mod:`bot.audit.wanted_effects`); an ``audit.purged`` event's
``redacted_seqs`` as a list of event numbers; a purge's ``redaction`` map as JSON path -> hash; and the values
the export, the purge and the exercise listing read from some kinds' data: an ``obligation.turned_off`` event's
``obligations`` (a list of obligation ids), an ``exercise.recorded`` event's ``starts_at`` (an ISO 8601 time),
``date`` (an ISO day), ``scenario`` (text), ``participants`` (a list of person ids), ``facilitator`` and
``findings`` (text or null) and ``drill`` (null or an object whose ``outcome`` is an object), and a cover event's
``end`` (an ISO 8601 time).  ``audit verify``, ``verify-pack``, the export, the purge, ``exercise list`` and the
period report all ask :func:`malformed`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable


def evidence_entry(entry: Any) -> bool:
    """Whether ``entry`` is an evidence entry as the bot writes it."""
    return (isinstance(entry, dict) and isinstance(entry.get("table"), str) and "id" in entry
            and (isinstance(entry.get("row"), dict) or entry.get("deleted") is True
                 or ("moved_to" in entry and (entry["moved_to"] is None or _number(entry["moved_to"])))))


def evidence_entries(data: Any) -> list[dict[str, Any]]:
    """The well-formed evidence entries of an event's data (:func:`malformed` reports the others)."""
    evidence = data.get("evidence") if isinstance(data, dict) else None
    return [e for e in evidence if evidence_entry(e)] if isinstance(evidence, list) else []


def wanted_effect_entry(entry: Any) -> bool:
    """Whether ``entry`` is an entry of ``effects_wanted`` as the bot writes it (:mod:`bot.audit.wanted_effects`)."""
    return isinstance(entry, dict) and isinstance(entry.get("key"), str) and isinstance(entry.get("kind"), str)


def wanted_effect_entries(data: Any) -> list[dict[str, Any]]:
    """The well-formed ``effects_wanted`` entries of an event's data (:func:`malformed` reports the others)."""
    wanted = data.get("effects_wanted") if isinstance(data, dict) else None
    return [e for e in wanted if wanted_effect_entry(e)] if isinstance(wanted, list) else []


def _number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def purged_seqs(kind: str, data: Any) -> set[int]:
    """The event numbers an ``audit.purged`` event lists as redacted (none for any other event)."""
    seqs = data.get("redacted_seqs") if kind == "audit.purged" and isinstance(data, dict) else None
    return {s for s in seqs if _number(s)} if isinstance(seqs, list) else set()


def malformed(kind: str, data: Any, redaction: Any) -> str | None:
    """What is wrong with the shape of an event's data or redaction map, or None when the bot could have written it."""
    if not isinstance(data, dict):
        return "its data is not a JSON object"
    evidence = data.get("evidence")
    if evidence is not None and not (isinstance(evidence, list) and all(evidence_entry(e) for e in evidence)):
        return "its evidence is not a list of {table, id, row, deleted or moved_to} entries"
    wanted = data.get("effects_wanted")
    if wanted is not None and not (isinstance(wanted, list) and all(wanted_effect_entry(e) for e in wanted)):
        return "its effects_wanted is not a list of {key, kind} entries"
    seqs = data.get("redacted_seqs", [])
    if kind == "audit.purged" and not (isinstance(seqs, list) and all(_number(s) for s in seqs)):
        return "its redacted_seqs is not a list of event numbers"
    if redaction is not None and not (isinstance(redaction, dict)
                                      and all(isinstance(k, str) and isinstance(v, str) for k, v in redaction.items())):
        return "its redaction map is not JSON path -> hash"
    return _kind_values(kind if isinstance(kind, str) else "", data)


def _kind_values(kind: str, data: dict[str, Any]) -> str | None:
    """What is wrong with the values the export, the purge and the exercise listing read from this kind's data."""
    obligations = data.get("obligations", [])
    if kind == "obligation.turned_off" and not (isinstance(obligations, list)
                                                and all(isinstance(o, str) for o in obligations)):
        return "its obligations is not a list of obligation ids"
    if kind == "exercise.recorded":
        return _exercise_values(data)
    if kind.startswith("oncall.cover_") and data.get("end") and not _time(data["end"]):
        return "its end is not an ISO 8601 time"
    return None


def _exercise_values(data: dict[str, Any]) -> str | None:
    if not _time(data.get("starts_at")):
        return "its starts_at is not an ISO 8601 time"
    if not _day(data.get("date")):
        return "its date is not an ISO day (YYYY-MM-DD)"
    if not isinstance(data.get("scenario"), str):
        return "its scenario is not text"
    participants = data.get("participants", [])
    if not (isinstance(participants, list) and all(isinstance(p, str) for p in participants)):
        return "its participants is not a list of person ids"
    for name in ("facilitator", "findings"):
        if not isinstance(data.get(name), (str, type(None))):
            return f"its {name} is not text"
    drill = data.get("drill")
    if drill is not None and not (isinstance(drill, dict) and isinstance(drill.get("outcome") or {}, dict)):
        return "its drill is not an object whose outcome is an object"
    return None


def _day(value: Any) -> bool:
    try:
        return isinstance(value, str) and bool(date.fromisoformat(value))
    except ValueError:
        return False


def _time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def malformed_events(events: Iterable[Any]) -> list[str]:
    """``"<chain> event #<seq> (<kind>): <what is wrong>"`` for each of ``events`` (timeline rows) the bot could not
    have written: the export, the purge and the exercise listing name them rather than stop half-way or leave them
    out unsaid."""
    return [f"{ev.chain} event #{ev.seq} ({ev.kind}): {shape}" for ev in events
            if (shape := malformed(ev.kind, ev.data, ev.redaction)) is not None]
