"""The evidence pack as an HTML page: the same content as the JSON and Markdown forms, as tables.

Built from the pack itself (:func:`bot.audit.export.evidence_pack`), so the
page shows exactly what the pack holds, including the chain's verdict and head
hash; times are UTC as in the pack.
"""

from __future__ import annotations

from typing import Any

from bot.pictures.document import render

SECTIONS = (
    ("obligations", "Obligations", ("obligation", "recipient", "due_at", "notified_at", "outcome", "reference")),
    ("roles", "Roles and hand-overs", ("role", "user", "how", "from", "until", "handover_note")),
    ("pages", "Pages", ("target", "level", "person", "status", "page_at", "acked_at", "reason")),
    ("exceptions_used", "Labor-law exceptions used",
     ("person", "exception", "rules_waived", "justification", "declared_by", "compensatory_rest_until")),
    ("trigger_changes", "Legal clock changes (second-person approval)",
     ("trigger", "from", "to", "requested_by", "decided_by", "status", "reason")),
)


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "-"
    return str(value)


def evidence_page(pack: dict[str, Any]) -> str:
    inc = pack["incident"]
    sections = []
    for key, title, columns in SECTIONS:
        rows = [[_text(item.get(c)) for c in columns] for item in pack.get(key, [])]
        sections.append((key, title, [c.replace("_", " ") for c in columns], rows))
    timeline = [[str(e["seq"]), _text(e["at"]), _text(e["actor"]), _text(e["kind"]), _text(e["summary"]),
                 e["hash"]] for e in pack.get("timeline", [])]
    return render("evidence.html", title=f"Evidence pack: {inc['label']} {inc['title']}", inc=inc,
                  audit=pack["audit"], sections=sections, timeline=timeline,
                  generated=f"from the pack exported {pack['audit'].get('exported_at') or '-'}")
