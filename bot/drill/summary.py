"""The drill's opening lines and its closing summary: paging decisions, legal deadlines,
reminders, and the evidence an auditor would get."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any, TextIO

from bot.audit.export import evidence_pack, render_markdown
from bot.drill import statement_story
from bot.drill.exercise_record import record_run
from bot.drill.running import DrillOutcome, RunningDrill
from bot.slack.readable import instant, utc
from bot.slack.replies import local

RULE = "=" * 78


def print_header(drill: RunningDrill, *, file: TextIO) -> None:
    o, zone = drill.options, drill.config.settings.timezone
    print(RULE, file=file)
    if o.alert:  # the route picks the playbook, and with it the story
        print(f"DRILL: an alert from {o.alert}, starting {local(drill.world.clock.now(), zone)} (simulated time)",
              file=file)
    else:
        print(f"DRILL: playbook {o.playbook}, starting {local(drill.world.clock.now(), zone)} (simulated time)",
              file=file)
        print(f"Story: {drill.story.name}, showing {drill.story.shows}.", file=file)
    print("Slack is the local Slack double; the database is a throw-away SQLite file unless --database-url "
          "is given.", file=file)
    print("Each message below is what its reader saw in Slack or got by SMS or call (the local Twilio double) or "
          "email (kept in the drill's mailbox), with times in the reader's own zone.", file=file)
    print("Not shown: the shift reminders that the active scheduler's own sweep sends before on-call periods begin "
          "(docs/oncall.md).", file=file)
    print(RULE, file=file)


def _section(title: str, file: TextIO) -> None:
    print(f"\n{title}\n{'-' * len(title)}", file=file)


def _at(iso: str, zone: str) -> str:
    """An instant of the pack (ISO 8601, UTC) as the rest of the drill shows it: in the reader's zone."""
    return local(instant(iso), zone)


def _paging(drill: RunningDrill, pack: dict[str, Any], file: TextIO) -> None:
    zone = drill.config.settings.timezone
    _section("Who was paged, and who was skipped under which rule", file)
    seen: set[tuple[str, str]] = set()  # the plan at declaration and each escalation may name the same skip
    for event in pack["timeline"]:
        if event["kind"] == "page.skipped":
            for skip in event["data"].get("skipped", []):
                if (skip["person"], skip["reason"]) not in seen:
                    seen.add((skip["person"], skip["reason"]))
                    print(f"  skipped {skip['person']}: {skip['reason']}", file=file)
    for page in pack["pages"]:
        acked = f", acknowledged {_at(page['acked_at'], zone)}" if page.get("acked_at") else ""
        print(f"  level {page['level']}: {page['person']} {page['status']}{acked}: {page['reason']}", file=file)
    if not pack["pages"]:
        print("  nobody: this playbook pages no one", file=file)
    for used in pack["exceptions_used"]:
        owed = (f"compensatory rest owed until {_at(used['compensatory_rest_until'], zone)}" if used["compensatory_rest_until"]
                else "no call-out, so no compensatory rest owed")
        print(f"  exception {used['exception']} for {used['person']}: {used['justification']} ({owed})", file=file)


def _deadlines(drill: RunningDrill, pack: dict[str, Any], file: TextIO) -> None:
    zone = drill.config.settings.timezone
    nudges = Counter(e.notice.metadata.get("obligation", "") for e in drill.world.chat.entries
                     if e.notice.kind == "deadline_nudge")
    by_id = {str(o.id): o for o in drill.world.incidents.obligations(drill.number)}
    _section("Legal notification deadlines", file)
    skipped = [ob for ob in pack["obligations"] if ob["outcome"] == "not_applicable"]
    if not pack["obligations"]:
        print("  none: this playbook considers no regulation", file=file)
    for ob in pack["obligations"]:
        if ob in skipped:
            continue
        view = next((v for v in by_id.values() if v.obligation == ob["obligation"]), None)
        due = local(view.due_at, zone) + f" ({utc(view.due_at)})" if view is not None and view.due_at else "no fixed deadline"
        sent = nudges.get(str(view.id), 0) if view is not None else 0
        print(f"  {ob['obligation']} -> {ob['recipient']}: due {due}; {ob['outcome']}"
              + (f", notified {_at(ob['notified_at'], zone)} ref {ob['reference']}" if ob["notified_at"] else "")
              + f"; {sent} reminder(s) sent", file=file)
    if skipped:
        regimes = sorted({ob["obligation"].split(".")[0] for ob in skipped})
        print(f"  ({len(skipped)} obligations of {len(regimes)} regimes do not apply on these facts)", file=file)


def print_summary(drill: RunningDrill, *, file: TextIO) -> DrillOutcome:
    w = drill.world
    with w.store.session() as s:
        pack = evidence_pack(s, drill.number, now=w.clock.now())
    markdown = render_markdown(pack)
    print("\n" + RULE, file=file)
    print(f"SUMMARY of {pack['incident']['label']} ({pack['incident']['status']})", file=file)
    _paging(drill, pack, file)
    _section("Each page beyond Slack: SMS, calls and email (config/people.yaml's notification rules)", file)
    drill.world.pager.print_summary(file)
    _deadlines(drill, pack, file)
    statement_story.print_summary(drill, pack, file)
    drill.rest_story.print_summary(file)
    drill.learning_story.print_summary(file)
    _section("Evidence for auditors", file)
    audit = pack["audit"]
    print(f"  audit chain: {audit['events']} events, head hash {audit['head_hash']}, "
          + ("verified" if audit["verified"] else "BROKEN: " + "; ".join(audit["problems"])), file=file)
    print(record_run(drill, pack), file=file)
    out_dir = Path("var") / "drill"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{pack['incident']['label']}-evidence.md"
    path.write_text(markdown, encoding="utf-8")
    print(f"  evidence pack (timeline, roles, pages, exceptions, obligations met or missed): {path}", file=file)
    print(f"  {len(w.chat.entries)} Slack messages, {len(pack['timeline'])} timeline events", file=file)
    print(RULE, file=file)
    return DrillOutcome(started_at=drill.at, number=drill.number, messages=len(w.chat.entries), closed=pack["incident"]["status"] == "closed",
                        chain_ok=audit["verified"], export_markdown=markdown)
