"""The post-incident review draft, in Markdown, from the verified timeline.

What the bot knows is filled in: summary, impact, the timeline with its
milestones, who was paged and why (and who was skipped, with the rule and
its citation), labor exceptions used, legal duties and how each was met, and
the follow-up actions so far.  What only people know (contributing factors,
what went well, lessons) is left as headings for them to write.  The chain is
verified first; a draft from a chain that does not verify says so at the top.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Callable
from zoneinfo import ZoneInfo

from bot.clock import ensure_utc
from bot.learning.milestones import MILESTONES, Milestone
from bot.learning.views import FollowUpView, ReviewView

Names = Callable[[str], str]
# Events worth a line in the review's timeline (the full chain is in the evidence pack).
TIMELINE_KINDS = ("incident.declared", "incident.severity_changed", "role.assigned", "role.handed_over",
                  "status.posted", "note.added", "fact.set", "trigger.set", "trigger.change_approved", "page.sent",
                  "page.acked", "page.declined", "page.escalated", "page.escalation_exhausted",
                  "oncall.exception_used", "obligation.notified", "obligation.not_required", "milestone.set",
                  "incident.resolved", "incident.closed", "followup.added")
NOT_APPLYING = ("not_applicable", "informational")
PEOPLE_WRITE = ("Contributing factors", "What went well", "What could have gone better", "Lessons learned")


def _cell(value: Any) -> str:
    return ("" if value is None else str(value)).replace("|", "\\|").replace("\n", " ")


def _table(headers: list[str], rows: list[list[Any]], empty: str) -> list[str]:
    if not rows:
        return [empty, ""]
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers),
            *("| " + " | ".join(_cell(v) for v in row) + " |" for row in rows), ""]


def duration(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return "-"
    minutes = max(0, int((end - start).total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    return (f"{days}d " if days else "") + f"{hours}h {mins:02d}m"


def _local(value: str | datetime | None, zone: str) -> str:
    if not value:
        return "-"
    at = ensure_utc(datetime.fromisoformat(value) if isinstance(value, str) else value)
    return f"{at.astimezone(ZoneInfo(zone)):%a %d %b %H:%M} ({at:%H:%M} UTC)"


def render(pack: dict[str, Any], milestones: dict[str, Milestone], followups: list[FollowUpView],
           review: ReviewView | None, *, zone: str, name: Names, person_name: Names, severity_name: str,
           made_at: datetime) -> str:
    inc, audit = pack["incident"], pack["audit"]
    out = [f"# Post-incident review (draft): {inc['label']} {inc['title']}", ""]
    verified = (f"verified timeline: {audit['events']} events, head hash `{audit['head_hash']}`" if audit["verified"]
                else "timeline that DID NOT VERIFY: " + "; ".join(audit["problems"]))
    out += [f"> Drafted by incident-bot on {_local(made_at, zone)} from the {verified}. Times are {zone} "
            "(UTC in brackets). Edit freely; the last sections are for the people involved to write.", ""]
    if not audit["verified"]:
        out += ["> **Warning:** the audit chain of this incident is broken, so this draft may not match what "
                "happened. Run `incident-bot audit verify` and tell whoever runs the bot.", ""]
    out += _summary(inc, milestones, review, name=name, zone=zone, severity_name=severity_name)
    out += _impact(inc, milestones)
    out += ["## Timeline", ""] + _timeline(pack, milestones, zone=zone, name=name)
    out += ["## Who was paged and why", ""] + _pages(pack, zone=zone, name=name, person_name=person_name)
    out += ["## Labor-law exceptions used", ""] + _table(
        ["Person", "Exception", "Rules waived", "Justification", "Declared by", "Compensatory rest owed until"],
        [[person_name(e["person"]), e["exception"], ", ".join(e["rules_waived"]), e["justification"],
          name(e["declared_by"]), _local(e["compensatory_rest_until"], zone)] for e in pack["exceptions_used"]],
        "None: nobody was paged under an exception.")
    applied = [o for o in pack["obligations"] if o["status"] not in NOT_APPLYING]
    out += ["## Legal duties and how each was met", ""] + _table(
        ["Duty", "To", "Due", "Done", "Outcome", "Reference or reason", "Citation"],
        [[o["obligation"], o["recipient"], _local(o["due_at"], zone), _local(o["notified_at"], zone), o["outcome"],
          o["reference"] or o["not_required_reason"] or "", o["citation"]] for o in applied],
        "None: the playbook names no regulations, or none applied.")
    if len(applied) < len(pack["obligations"]):
        out += [f"{len(pack['obligations']) - len(applied)} more duties of the regimes considered did not apply on "
                "the recorded facts (the evidence pack lists each with its reason).", ""]
    out += ["## Follow-up actions", ""] + _table(
        ["Id", "What", "Owner", "Due", "State", "Cost", "Impact x likelihood = risk"],
        [[f.label, f.title, name(f.owner), f.due + (f" (deferred until {f.deferred_until})" if f.deferred_until else ""),
          f.state.replace("_", " "), f.cost, f"{f.impact_name} x {f.likelihood_name} ({f.horizon}) = {f.risk_score}"]
         for f in followups], "None yet: add them with `/incident followup add …`.")
    for heading in PEOPLE_WRITE:
        out += [f"## {heading}", "", "_To be written by the people involved._", ""]
    return "\n".join(out).rstrip() + "\n"


def _summary(inc: dict[str, Any], milestones: dict[str, Milestone], review: ReviewView | None, *, name: Names,
             zone: str, severity_name: str) -> list[str]:
    lines = ["## Summary", "",
             f"- **What:** {inc['title']}" + (f". {inc['description']}" if inc.get("description") else ""),
             f"- **Severity:** {severity_name} ({inc['severity']}); status {inc['status']}",
             f"- **Declared** {_local(inc['declared_at'], zone)} by {name(inc['reporter'])}"]
    if inc.get("summary"):
        lines.append(f"- **Summary at close:** {inc['summary']}")
    if review is not None:
        state = "done" if review.state == "done" else "due"
        lines.append(f"- **Review:** {state}, due by the end of {review.due_day} ({review.calendar}; "
                     f"{review.business_days} business days after the resolution), owner {name(review.owner)}")
    return lines + [""]


def _impact(inc: dict[str, Any], milestones: dict[str, Milestone]) -> list[str]:
    at = {k: m.at for k, m in milestones.items()}
    lines = ["## Impact", "",
             f"- Detected to acknowledged: {duration(at.get('detected'), at.get('acknowledged'))}",
             f"- Detected to mitigated: {duration(at.get('detected'), at.get('mitigated'))}",
             f"- Detected to resolved (time to resolve): {duration(at.get('detected'), at.get('resolved'))}"]
    facts = inc.get("facts") or {}
    if facts:
        lines.append("- Facts recorded: " + ", ".join(f"{k} = {v}" for k, v in sorted(facts.items())))
    lines.append("- _Who and what was affected, in plain words, for the people involved to complete._")
    return lines + [""]


def _timeline(pack: dict[str, Any], milestones: dict[str, Milestone], *, zone: str, name: Names) -> list[str]:
    marks = {m.seq: m.name for m in milestones.values()}
    rows = []
    for ev in pack["timeline"]:
        if ev["kind"] not in TIMELINE_KINDS and ev["seq"] not in marks:
            continue
        milestone = marks.get(ev["seq"], "")
        rows.append([_local(ev["at"], zone), f"**{milestone}**" if milestone else "", name(ev["actor"]),
                     ev["summary"] or ev["kind"]])
    out = ["Milestones: " + "; ".join(f"{n} {_local(milestones[n].at, zone)}" for n in MILESTONES if n in milestones),
           ""]
    return out + _table(["When", "Milestone", "Who", "What"], rows, "(no events)")


def _pages(pack: dict[str, Any], *, zone: str, name: Names, person_name: Names) -> list[str]:
    out = _table(["Person", "Paged for", "Level", "Outcome", "Paged at", "Acknowledged", "Why this person"],
                 [[name(p["slack_user"]), p["target"], p["level"], p["status"], _local(p["sent_at"] or p["page_at"], zone),
                   _local(p["acked_at"], zone), p["reason"]] for p in pack["pages"]],
                 "Nobody was paged: the playbook pages no rota, or the responders joined by hand.")
    skips, seen = [], set()
    for ev in pack["timeline"]:
        for s in (ev["data"] or {}).get("skipped", []) if ev["kind"] == "page.skipped" else []:
            if (s["person"], s["level"], s["reason"]) not in seen:  # each escalation plans again: say it once
                seen.add((s["person"], s["level"], s["reason"]))
                skips.append((ev, s))
    if skips:
        out += ["Not paged, and why (the rule and its source):", ""] + _table(
            ["When", "Person", "Level", "Why", "Rule"],
            [[_local(ev["at"], zone), person_name(s["person"]), s["level"], s["reason"], s["rule"]] for ev, s in skips],
            "")
    return out
