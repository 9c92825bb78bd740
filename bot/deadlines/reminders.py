"""Reminder plans for obligations and the deadline nudge they carry.

:func:`reminder_plan` is pure arithmetic on one window (clock start -> due);
:func:`plan_for_obligation` applies it to a stored row with the policy that
wins (playbook > obligation in the catalog > regime in the catalog > default)
and knows what must never be reminded as law: proposed or not-yet-effective
regimes yield nothing, qualitative duties yield internal targets only.
The scheduler turns each :class:`ReminderSpec` into a durable reminder row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import ensure_utc
from bot.deadlines.policy import ReminderPolicy, parse_offset
from bot.ports import Button, Notice

__all__ = ["ReminderPolicy", "ReminderSpec", "reminder_plan", "plan_for_obligation", "notice_for", "span"]

DISCLAIMER = "Not legal advice: computed from the reviewable regulations catalog; check with counsel."


@dataclass(frozen=True)
class ReminderSpec:
    at: datetime  # aware UTC
    label: str  # "half the window", "24 h before", "at the deadline", "overdue +4 h", "internal target"
    internal: bool  # True: a company target, not a legal deadline
    slug: str  # stable part of a reminder key: "50pct", "24h", "due", "overdue-1", "target-1"


def span(delta: timedelta) -> str:
    """A short duration: "45 min", "4 h", "2 h 30 min", "3 d 4 h"."""
    minutes = int(abs(delta.total_seconds()) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins else ""]
    return " ".join(p for p in parts if p) or "0 min"


def _hours(delta: timedelta) -> str:
    """Offsets read in hours as written in policies: "24 h", "48 h", "1 h 30 min"."""
    hours, rest = divmod(int(delta.total_seconds()), 3600)
    return f"{hours} h" if not rest else span(delta)


def _slug(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, mins = divmod(minutes, 60)
    return f"{hours}h" + (f"{mins}m" if mins else "") if hours else f"{mins}m"


def reminder_plan(due_at: datetime, *, window_start: datetime, policy: ReminderPolicy | None = None) -> list[ReminderSpec]:
    """Reminders for one legal deadline, earliest first; offsets outside the window are dropped."""
    policy = policy or ReminderPolicy()
    due, start = ensure_utc(due_at), ensure_utc(window_start)
    window = max(due - start, timedelta(0))
    specs: dict[datetime, ReminderSpec] = {}
    for text in policy.offsets:
        offset = parse_offset(text)
        if isinstance(offset, float):
            at = start + window * offset
            pct = f"{offset * 100:g}"
            label = "half the window" if pct == "50" else f"{pct}% of the window"
            slug = f"{pct}pct"
        elif offset == timedelta(0):
            at, label, slug = due, "at the deadline", "due"
        else:
            at, label, slug = due - offset, f"{_hours(offset)} before", _slug(offset)
        if start <= at <= due and at not in specs:
            specs[at] = ReminderSpec(at, label, False, slug)
    if policy.overdue_every:
        for i in range(1, policy.overdue_count + 1):
            late = policy.overdue_every * i
            specs.setdefault(due + late, ReminderSpec(due + late, f"overdue +{_hours(late)}", False, f"overdue-{i}"))
    return [specs[k] for k in sorted(specs)]


def _policy_from(data: dict | None) -> ReminderPolicy | None:
    return ReminderPolicy.model_validate(data) if data else None


def plan_for_obligation(row, *, playbook_policy: ReminderPolicy | None = None) -> list[ReminderSpec]:
    """The reminders a stored obligation should get now (none once it is closed)."""
    if row.status not in ("open", "qualitative") or not row.legal:
        return []  # notified, not required, not applicable, or informational (proposed / not yet effective)
    if row.status == "qualitative":
        targets = sorted(ensure_utc(datetime.fromisoformat(t)) for t in row.internal_targets or [])
        return [ReminderSpec(t, "internal target (company policy, not a legal deadline)", True, f"target-{i}")
                for i, t in enumerate(targets, start=1)]
    if row.due_at is None:
        return []  # clock not started
    spec = row.spec or {}
    policy = (playbook_policy or _policy_from(spec.get("obligation", {}).get("reminders"))
              or _policy_from(spec.get("regime_reminders")) or ReminderPolicy())
    start = row.window_start or row.created_at
    return reminder_plan(row.due_at, window_start=start, policy=policy)


def _clock_note(reason: str) -> str:
    _, found, rest = reason.partition("clock not started: ")
    return rest.split(". ", 1)[0] if found else "see the obligation's reason"


def notice_for(obligation_row, reader_zone: str, now: datetime, first: tuple = ()) -> Notice:
    """The deadline nudge: what is due to whom, when (reader's zone and UTC), time left, what to include;
    ``first``: open obligations the law requires before this one (named, so the order is kept)."""
    from bot.deadlines.ordering import order_note

    row, now = obligation_row, ensure_utc(now)
    zone = ZoneInfo(reader_zone)
    lines: list[str] = [f"Recipient: {row.recipient}"]
    if first:
        lines.append(order_note(list(first)))
    fields: list[tuple[str, str]] = [("Regime", row.regime), ("Obligation", row.obligation_id)]
    if row.due_at is not None:
        due = ensure_utc(row.due_at)
        left = due - now
        state = f"due in {span(left)}" if left >= timedelta(0) else f"OVERDUE by {span(left)}"
        title = f"Legal deadline {state}: {row.title or row.obligation_id}"
        local = due.astimezone(zone)
        lines.append(f"Due {local:%a %Y-%m-%d %H:%M} {local.tzname()} ({reader_zone}) = {due:%Y-%m-%d %H:%M} UTC")
        rule_local = due.astimezone(ZoneInfo(row.due_zone)) if row.due_zone not in (reader_zone, "UTC") else local
        if rule_local.utcoffset() != local.utcoffset():  # another wall-clock time (Paris and Berlin show the same)
            lines.append(f"The rule is computed in {row.due_zone}: {rule_local:%a %Y-%m-%d %H:%M %Z}")
        if row.estimated:
            lines.append("Estimated: the previous stage is not marked submitted yet; the time moves when it is.")
        fields += [("Due (your time)", f"{local:%Y-%m-%d %H:%M %Z}"), ("Due (UTC)", f"{due:%Y-%m-%d %H:%M}"),
                   ("Time left", state)]
    elif row.status == "open":
        title = f"Deadline clock not started: {row.title or row.obligation_id}"
        lines.append("The event that starts this clock is not recorded yet: " + _clock_note(row.reason))
    else:
        title = f"Notify without a fixed deadline: {row.title or row.obligation_id}"
        lines.append("The law sets no computable deadline here (e.g. \"without undue delay\"); "
                     "reminders are internal targets, not legal deadlines.")
    if not row.legal:
        lines.append("Informational only: the regime is proposed or not yet in effect.")
    if row.missing_facts:
        lines.append("Assumed to apply until these facts are known: " + ", ".join(row.missing_facts)
                     + ". Record them to confirm, or mark the obligation not required with a reason.")
    if row.must_contain:
        lines.append("The notification must contain:")
        lines.extend(f"• {item}" for item in row.must_contain)
    if row.citation:
        fields.append(("Source", row.citation))
    value = f"obligation:{row.id}"
    return Notice(
        kind="deadline_nudge", title=title, lines=tuple(lines), fields=tuple(fields),
        buttons=(Button("obligation.notified", "Mark notified", value, "primary"),
                 Button("obligation.snooze", "Snooze", value),
                 Button("obligation.not_required", "Not required", value, "danger")),
        footer=DISCLAIMER,
        metadata={"incident": str(row.incident_id), "obligation": str(row.id)},
    )
