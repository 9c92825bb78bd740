"""``incident-bot oncall``: who is on call and whom the bot would page, with reasons."""

from __future__ import annotations

import argparse
import sys
import textwrap

from bot.cli.common import add_config_args, instant_arg, load_or_exit, print_json
from bot.clock import SystemClock

EPILOG = """examples:
  python -m bot oncall                                   every rota, now, severity sev2
  python -m bot oncall platform --at 2026-12-25T02:00:00+01:00 --severity sev2
  python -m bot oncall platform --severity sev1 --exception notfall \\
      --justification "checkout down for all customers" --declared-by katrin --json
  python -m bot oncall payments --urgency low            low urgency: held until working hours

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
    parser.add_argument("rota", nargs="?", metavar="ROTA", help="rotation or escalation policy id (default: all)")
    parser.add_argument("--at", type=instant_arg, metavar="ISO8601",
                        help='instant with offset, e.g. "2026-12-25T02:00:00+01:00" (default: now)')
    parser.add_argument("--severity", default="sev2", metavar="SEV", help="incident severity / playbook id (default: sev2)")
    parser.add_argument("--urgency", choices=("high", "low"), default="high",
                        help="low: pages outside working hours are held until they begin (default: high)")
    parser.add_argument("--exception", metavar="ID", help="declare a named exception (e.g. notfall, emergency)")
    parser.add_argument("--justification", metavar="TEXT", help="why the exception is needed (required with --exception)")
    parser.add_argument("--declared-by", metavar="WHO", default="cli", help="who declares the exception")
    parser.add_argument("--history", action="store_true",
                        help="read earlier call-outs from the database ($DATABASE_URL) so rest periods after them count")
    parser.add_argument("--json", action="store_true", help="print the documented JSON shape instead of text")
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


def run(args: argparse.Namespace) -> int:
    from bot.oncall.directory import rota_ids
    from bot.oncall.planner import ExceptionRequest, plan_pages

    config = load_or_exit(args)
    if args.exception and not (args.justification or "").strip():
        print("--exception needs --justification: say why the exception is necessary", file=sys.stderr)
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
    request = ExceptionRequest(args.declared_by, args.justification, args.exception) if args.exception else None
    history = _history(config, at) if args.history else None
    plans = [plan_pages(config, t, at, args.severity, urgency=args.urgency, exception=request, history=history)
             for t in targets]
    if args.json:
        print_json(plans[0].to_json() if args.rota else [p.to_json() for p in plans])
    else:
        print("\n\n".join(_text(p) for p in plans))
    return 0
