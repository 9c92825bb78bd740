"""Modal views (declare, mark notified, not required, can't take a page, add a follow-up, confirm a labor-law
exception) and reading their submissions."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from bot.incidents.views import SeverityOption
from bot.slack.blocks import VIEW_BLOCKS_LIMIT, plain, section
from bot.slack.mrkdwn import escaped_within

DECLARE = "incident.declare"
NOTIFIED = "obligation.notified"
NOT_REQUIRED = "obligation.not_required"
DECLINE = "page.decline"
FOLLOWUP = "followup.add"
CONFIRM_EXCEPTION = "exception.confirm"
VALUE = "value"  # action id of every input element


def _input(block_id: str, label: str, element: dict[str, Any], *, optional: bool = False, hint: str = "") -> dict[str, Any]:
    block: dict[str, Any] = {"type": "input", "block_id": block_id, "label": plain(label, 2000),
                             "element": {**element, "action_id": VALUE}, "optional": optional}
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def _text(placeholder: str = "", *, multiline: bool = False, initial: str = "", max_length: int = 3000) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "plain_text_input", "multiline": multiline, "max_length": max_length}
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    if initial:
        element["initial_value"] = initial[:max_length]
    return element


def _modal(callback_id: str, title: str, submit: str, blocks: list[dict[str, Any]], metadata: str = "") -> dict[str, Any]:
    return {"type": "modal", "callback_id": callback_id, "title": plain(title, 24), "submit": plain(submit, 24),
            "close": plain("Cancel", 24), "private_metadata": metadata[:3000], "blocks": blocks[:VIEW_BLOCKS_LIMIT]}


def systems_input(systems: list[Any]) -> dict[str, Any] | None:
    """A multi-select of the catalog's systems for the declare form (None when the catalog lists none)."""
    choices = [{"text": plain(f"{s.id} · {s.name} ({s.criticality})" if s.name else f"{s.id} ({s.criticality})", 75),
                "value": s.id} for s in systems][:100]
    if not choices:
        return None
    return _input("systems", "Affected systems", {"type": "multi_static_select", "options": choices,
                                                  "placeholder": plain("What was hit?", 150)}, optional=True,
                  hint="From config/catalog.yaml: the facts they imply (whose data, which classes) are derived "
                       "and shown with the reason; legal confirms them.")


def declare_modal(options: list[SeverityOption], *, title: str = "", severity: str = "",
                  channel: str = "", systems: list[Any] | None = None) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [section("*Choose the severity by its criteria:*")]
    for option in options:
        criteria = "\n".join(f"• {escaped_within(c, 400)}" for c in option.criteria) or "_no criteria written_"
        private = " _(private channel)_" if option.private else ""
        blocks.append(section(f"*{escaped_within(option.id.upper(), 40)} · {escaped_within(option.name, 200)}*{private}\n{criteria}"))
    blocks.append({"type": "divider"})
    choices = [{"text": plain(f"{o.id.upper()} · {o.name}", 75), "value": o.id} for o in options][:100]
    select: dict[str, Any] = {"type": "static_select", "placeholder": plain("Severity", 150), "options": choices}
    chosen = next((c for c in choices if c["value"] == severity), None)
    if chosen:
        select["initial_option"] = chosen
    blocks.append(_input("severity", "Severity", select))
    blocks.append(_input("title", "Title", _text("What is broken, in a few words", initial=title, max_length=200)))
    blocks.append(_input("description", "Description", _text("What do you see? Who is affected?", multiline=True),
                         optional=True))
    picker = systems_input(list(systems or []))
    if picker is not None:
        blocks.append(picker)
    facts = sorted({f for o in options for f in o.facts})
    room = VIEW_BLOCKS_LIMIT - len(blocks)
    for fact in facts[:room]:
        blocks.append(_input(f"fact.{fact}", fact.replace("_", " ").capitalize(), _text(max_length=200), optional=True,
                             hint="Asked by the regulations this severity considers; leave empty if unknown."))
    return _modal(DECLARE, "Declare an incident", "Declare", blocks, metadata=channel)


def notified_modal(obligation_id: int, description: str) -> dict[str, Any]:
    blocks = [section(escaped_within(description, 2900)),
              _input("reference", "Reference you received", _text("Case or ticket number", max_length=200)),
              _input("submitted_at", "Submitted at", {"type": "datetimepicker"}, optional=True,
                     hint="Leave empty for now."),
              _input("evidence", "Evidence link", {"type": "url_text_input"}, optional=True),
              _input("reason", "Reason, if it was submitted earlier", _text("e.g. submitted by phone at 14:10, the "
                                                                            "portal receipt came later", multiline=True,
                                                                            max_length=2000),
                     optional=True, hint="A submission time earlier than a few minutes ago needs a reason, and a "
                                         "second person's approval before it counts.")]
    return _modal(NOTIFIED, "Mark notified", "Save", blocks, metadata=f"obligation:{obligation_id}")


def not_required_modal(obligation_id: int, description: str) -> dict[str, Any]:
    blocks = [section(escaped_within(description, 2900)),
              _input("reason", "Why is this notification not required?",
                     _text("e.g. no personal data affected: encrypted at rest, key not exposed", multiline=True),
                     hint="Kept in the audit trail as the documented assessment.")]
    return _modal(NOT_REQUIRED, "Not required", "Save", blocks, metadata=f"obligation:{obligation_id}")


def decline_modal(page_id: int) -> dict[str, Any]:
    blocks = [_input("reason", "Why can't you take it?", _text("e.g. on a flight until 14:00", multiline=True),
                     hint="The next person in the escalation is paged at once.")]
    return _modal(DECLINE, "Can't take it", "Send", blocks, metadata=f"page:{page_id}")


def followup_modal(number: int, likelihoods: tuple[str, ...], impact_levels: tuple[str, ...]) -> dict[str, Any]:
    """The same fields as ``/incident followup add``: what, owner, due day, cost, impact, likelihood, horizon and,
    optionally, the impact level when it differs from what the incident's severity suggests."""
    def options(names: tuple[str, ...]) -> list[dict[str, Any]]:
        return [{"text": plain(n.replace("-", " ").capitalize(), 75), "value": n} for n in names]

    blocks = [
        section(f"A follow-up action of INC-{number}: what a product owner needs to rank it against other work."),
        _input("title", "What is to be done", _text("e.g. Warm the cache on deploy", max_length=500)),
        _input("owner", "Owner", {"type": "users_select", "placeholder": plain("Who does it", 150)}),
        _input("due", "Due", {"type": "datepicker"}, hint="The owner is nudged before, on and after this day."),
        _input("cost", "Cost estimate", _text("Effort and money, e.g. 2 days, EUR 2k", max_length=500)),
        _input("impact", "Impact if it is not done", _text("In plain words", multiline=True, max_length=2000)),
        _input("likelihood", "Likelihood", {"type": "static_select", "options": options(likelihoods),
                                             "placeholder": plain("How likely within the horizon", 150)}),
        _input("horizon", "Horizon", _text("12m", initial="12m", max_length=10), optional=True,
               hint='Over which time the likelihood holds: "12m", "2y" or "26w".'),
        _input("level", "Impact level", {"type": "static_select", "options": options(impact_levels)}, optional=True,
               hint="Leave empty to take it from the incident's severity."),
    ]
    return _modal(FOLLOWUP, "Add a follow-up", "Add", blocks, metadata=f"incident:{number}")


def confirm_exception_modal(use_id: int, what: str) -> dict[str, Any]:
    """Confirm a labor-law exception with your own justification; ``what`` says which use (mrkdwn, escaped)."""
    blocks = [
        section(what[:2900]),
        _input("justification", "Your justification",
               _text("Why this emergency could not wait for someone rested", multiline=True, max_length=4000),
               hint="In your own words: the playbook's canned text is not a reason. It goes on the incident's "
                    "timeline and into the evidence pack."),
    ]
    return _modal(CONFIRM_EXCEPTION, "Confirm exception", "Confirm", blocks, metadata=f"exception:{use_id}")


# --- reading submissions ---------------------------------------------------------------------


def values(view: dict[str, Any]) -> dict[str, Any]:
    """Block id -> submitted value (text, selected option value, user id, date or aware UTC datetime); empty inputs
    omitted."""
    out: dict[str, Any] = {}
    for block_id, actions in ((view.get("state") or {}).get("values") or {}).items():
        element = actions.get(VALUE) or next(iter(actions.values()), {})
        kind = element.get("type")
        if kind == "static_select":
            value = (element.get("selected_option") or {}).get("value")
        elif kind == "multi_static_select":
            value = [o.get("value") for o in element.get("selected_options") or [] if o.get("value")] or None
        elif kind == "users_select":
            value = element.get("selected_user")
        elif kind == "datepicker":
            day = element.get("selected_date")
            value = date.fromisoformat(day) if day else None
        elif kind == "datetimepicker":
            stamp = element.get("selected_date_time")
            value = datetime.fromtimestamp(int(stamp), timezone.utc) if stamp else None
        else:
            value = element.get("value")
        if isinstance(value, str):
            value = value.strip()
        if value not in (None, ""):
            out[block_id] = value
    return out


def metadata_id(view: dict[str, Any], prefix: str) -> int:
    raw = str(view.get("private_metadata") or "")
    if not raw.startswith(prefix + ":") or not raw[len(prefix) + 1:].isdigit():
        raise ValueError(f'expected private_metadata "{prefix}:<id>", got "{raw}"')
    return int(raw[len(prefix) + 1:])
