"""``incident-bot oncall``: who is on call and whom the bot would page, with reasons."""

from __future__ import annotations

import argparse
import sys
import textwrap

from bot.cli.common import add_config_args, instant_arg, load_or_exit, migrated_store, print_json
from bot.clock import SystemClock

EPILOG = """examples:
  python -m bot oncall                                   every rota, now, severity sev2
  python -m bot oncall platform --at 2026-12-25T02:00:00+01:00 --severity sev2
  python -m bot oncall platform --severity sev1 --exception notfall \\
      --justification "checkout down for all customers" --declared-by katrin --json
  python -m bot oncall payments --urgency low            low urgency: held until working hours
  python -m bot oncall record anna --from 2026-12-22T02:00:00+01:00 --to 2026-12-22T03:30:00+01:00 \
      --note "phoned by the NOC: payments DB failover" --by katrin
                                                         record work done outside the bot (on the audit trail)

The --json shape is documented in docs/oncall.md and stable: rota, at, on_call, plan[level, person,
slack_user, ack_timeout_minutes, page_at, ...], skipped[person, reason_code, reason, rule, citation,
until, ...], exceptions_used, plus fallback_used, held, warnings."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "oncall", help="show who is on call and the page plan (skips with the rule and citation)",
        description=textwrap.fill(
            "Show who is on call for a rotation or escalation policy and the plan the bot would follow "
            "to page them: ordered steps with ack timeouts, everyone skipped with the labor rule and its "
            "citation, held low-urgency pages, exceptions used. Earlier call-outs (which start rest periods) "
            "are read from the database only with --history.", 100),
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument("rota", nargs="?", metavar="ROTA",
                        help='rotation or escalation policy id (default: all); "record" records work (see below)')
    parser.add_argument("person", nargs="?", metavar="PERSON", help="with record: whose work")
    parser.add_argument("--at", type=instant_arg, metavar="ISO8601",
                        help='instant with offset, e.g. "2026-12-25T02:00:00+01:00" (default: now)')
    parser.add_argument("--severity", default="sev2", metavar="SEV", help="incident severity / playbook id (default: sev2)")
    parser.add_argument("--urgency", choices=("high", "low"), default="high",
                        help="low: pages outside working hours are held until they begin (default: high)")
    parser.add_argument("--exception", metavar="ID", help="declare a named exception (e.g. notfall, emergency) "
                        "instead of the one the severity's playbook declares")
    parser.add_argument("--justification", metavar="TEXT", help="why the exception is needed (required with "
                        "--exception; at least 20 characters, as in a playbook)")
    parser.add_argument("--no-playbook-exception", action="store_true",
                        help="leave out the exception the severity's playbook would declare (default: shown, "
                             "marked as the playbook's, as a declaration would apply it)")
    parser.add_argument("--declared-by", metavar="WHO", default="cli", help="who declares the exception")
    parser.add_argument("--history", action="store_true",
                        help="read earlier call-outs from the database ($DATABASE_URL) so rest periods after them count")
    parser.add_argument("--json", action="store_true", help="print the documented JSON shape instead of text")
    record = parser.add_argument_group(
        "oncall record PERSON", "record a call-out or other work done outside the bot, so the rest and hours checks, "
                                "the report and the rest ledger count it; it goes on the audit trail")
    record.add_argument("--from", dest="start", type=instant_arg, metavar="ISO8601", help="when the work started")
    record.add_argument("--to", dest="end", type=instant_arg, metavar="ISO8601", help="when it ended")
    record.add_argument("--kind", choices=("callout", "work"), default="callout", help="default: callout")
    record.add_argument("--note", default="", metavar="TEXT", help="what it was")
    record.add_argument("--by", metavar="PERSON", help="who records it: their id or Slack id in people.yaml; the id "
                                                      "goes on the audit chain (default: the person)")
    record.add_argument("--incident", type=int, metavar="N", help="the incident number it belongs to, if any")
    parser.set_defaults(func=run)


def _text(plan) -> str:
    out = [f"{plan.rota} at {plan.at.isoformat()} ({plan.severity}, {plan.urgency} urgency)",
           f"  on call: {', '.join(plan.on_call) or 'nobody (outside coverage)'}"]
    for s in plan.skipped:
        out.append(f"  - {s.person}: {s.reason}")
    for step in plan.plan:
        extra = f" as deputy for {step.deputy_for}" if step.deputy_for else ""
        out.append(f"  level {step.level}: page {step.person} ({step.slack_user}){extra} at {step.page_at.isoformat()}, "
                   f"ack within {step.ack_timeout_minutes} min [{step.role}]")
        out += [f"      {n}" for n in step.notes]
    for used in plan.exceptions_used:
        out.append(f"  exception {used.exception} ({used.citation}) for {used.person}: {used.justification} "
                   f"(declared by {used.declared_by}; {used.compensatory_rest_hours:g} h compensatory rest owed)")
    out += [f"  ! {w}" for w in plan.warnings]
    return "\n".join(out)


def _history(config, at):
    from bot.oncall.directory import person_ids
    from bot.oncall.history import load_history
    from bot.store.database import Store

    store = Store.connect()
    try:
        with store.session() as session:
            return load_history(session, sorted(person_ids(config)), at)
    finally:
        store.dispose()


def run_record(args: argparse.Namespace, config) -> int:
    from sqlmodel import select

    from bot.audit.config_versions import decide_under
    from bot.cli.acting_person import acting_person
    from bot.incidents.tables import Incident
    from bot.oncall.team import team_of
    from bot.oncall.work_records import WorkRecordError, record_work

    if not args.person or args.start is None or args.end is None:
        print("usage: oncall record PERSON --from ISO8601 --to ISO8601 [--kind callout|work] [--note TEXT] "
              "[--by WHO] [--incident N]", file=sys.stderr)
        return 2
    recorded_by = acting_person(config, args.by) if args.by else args.person
    if recorded_by is None:
        return 2
    try:
        with migrated_store() as store, store.session() as session:
            incident_id = None
            if args.incident is not None:
                incident_id = session.exec(select(Incident.id).where(Incident.number == args.incident)).first()
                if incident_id is None:
                    print(f"no incident INC-{args.incident}", file=sys.stderr)
                    return 2
            now = SystemClock().now()
            decide_under(session, config, now)  # the chain says which rules decided (the rest owed)
            recorded = record_work(session, team_of(config), person_id=args.person, start=args.start, end=args.end,
                                   now=now, recorded_by=recorded_by, kind=args.kind,
                                   note=args.note, incident_id=incident_id)
            lines = [f"recorded #{recorded.engagement.id}: {recorded.summary}"]
            lines += [f"  rest owed #{debt.id}: {debt.hours:g} h ({debt.citation}); see `incident-bot rest`"
                      for debt in recorded.debts]
    except WorkRecordError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print("\n".join(lines))  # once committed: never a record the database did not keep
    return 0


# What a page plan and a work record read: the team and the playbooks (which severity pages what, exceptions).
ONCALL_KINDS = ("settings", "people", "rotas", "labor", "playbook")


def run(args: argparse.Namespace) -> int:
    from bot.incidents.declared_exception import justification_problem
    from bot.oncall.directory import rota_ids

    config = load_or_exit(args, kinds=ONCALL_KINDS)
    if args.rota == "record":
        return run_record(args, config)
    if args.person or args.start or args.end or args.note or args.by or args.incident is not None:
        print("PERSON, --from, --to, --kind, --note, --by and --incident belong to `oncall record PERSON ...`",
              file=sys.stderr)
        return 2
    if args.exception:
        problem = justification_problem(args.justification)
        if problem:
            print(f"--exception needs --justification: {problem}", file=sys.stderr)
            return 2
    severities = {getattr(m, "id", None) for m in config.all("playbook")} - {None}
    if severities and args.severity not in severities:
        print(f'unknown severity "{args.severity}"; playbooks define: {", ".join(sorted(severities))}', file=sys.stderr)
        return 2
    known = rota_ids(config)
    if args.rota and args.rota not in known:
        print(f'unknown rota "{args.rota}"; known: {", ".join(sorted(known))}', file=sys.stderr)
        return 2
    targets = [args.rota] if args.rota else sorted(known)
    at = args.at or SystemClock().now()
    history = _history(config, at) if args.history else None
    previews = [_preview(config, args, t, at, history) for t in targets]
    if args.json:
        shown = [{**plan.to_json(), "declaration": declaration} for plan, declaration in previews]
        print_json(shown[0] if args.rota else shown)
    else:
        print("\n\n".join(_text(plan) + _declaration_text(declaration, args.severity) for plan, declaration in previews))
    return 0


def _preview(config, args: argparse.Namespace, target: str, at, history):
    """The plan a declaration of ``args.severity`` would follow for ``target``, and what it declares."""
    from bot.incidents.declared_exception import paging_entry, request_for
    from bot.oncall.planner import ExceptionRequest, plan_pages

    entry = paging_entry(config, args.severity, target)
    declaration = {"pages_this_rota": entry is not None, "paged_as": entry.target if entry else None,
                   "exception_source": None, "exception": None}
    if args.exception:
        request = ExceptionRequest(args.declared_by, args.justification.strip(), args.exception)
        declaration.update(exception_source="command line", exception=args.exception)
    elif args.no_playbook_exception:
        request = None
    else:
        request = request_for(entry, declared_by="the person who declares",
                              about=f"a {args.severity} declaration, previewed")
        if request is not None:
            declaration["exception_source"] = "playbook"
    plan = plan_pages(config, target, at, args.severity, urgency=args.urgency, exception=request, history=history)
    if declaration["exception_source"] == "playbook":  # the id, or the ones the people's profiles name
        declaration["exception"] = request.exception_id or ", ".join(sorted({u.exception for u in plan.exceptions_used}))
    return plan, declaration


def _declaration_text(declaration: dict, severity: str) -> str:
    if not declaration["pages_this_rota"]:
        return f"\n  note: a {severity} declaration does not page this rota (its playbook pages other targets)"
    if declaration["exception_source"] == "playbook":
        used = f" ({declaration['exception']})" if declaration["exception"] else " (none needed here)"
        return (f"\n  exception{used}: declared by the {severity} playbook, which pages {declaration['paged_as']}, "
                "as a declaration would; --no-playbook-exception shows the plan without it")
    return ""
