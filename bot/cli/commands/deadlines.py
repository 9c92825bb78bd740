"""``incident-bot deadlines``: compute legal notification deadlines from the catalog, without an incident."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from bot.cli.common import add_config_args, check_fact_args, load_or_exit, print_json
from bot.clock import SystemClock
from bot.deadlines.assess import Assessment, Situation, assess
from bot.deadlines.catalog import obligation_ids, regime_named, regimes
from bot.deadlines.delays import DelayNotice
from bot.deadlines.instants import parse_instant_input
from bot.deadlines.derivation import derive, layered
from bot.deadlines.organisation import standing_facts
from bot.deadlines.systems import hint as near_miss, system_ids
from bot.deadlines.review import catalog_listing
from bot.deadlines.rules import TRIGGERS

DISCLAIMER = ("Not legal advice. Computed from the regulations catalog (config/regulations/), which is reviewable "
              "data with citations: have counsel check each rule before relying on it.")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "deadlines", help="compute legal notification deadlines for regimes, triggers and facts",
        description="Compute the notification obligations of one or more regimes from trigger times and incident "
                    "facts. Times need a UTC offset (2026-03-27T10:00:00+01:00), or a zone: "
                    "2026-03-27T10:00[Europe/Berlin] or --zone; a local time that is ambiguous or does not exist "
                    "in its zone is rejected. " + DISCLAIMER,
        epilog="examples: incident-bot deadlines catalog; incident-bot deadlines --regime gdpr,nis2 --trigger aware=2026-03-27T10:00:00+01:00 "
               "--fact gdpr_in_scope=true --fact personal_data_breach=true --fact gdpr_role=controller "
               "--fact risk_level=high --fact nis2_entity=true --fact significant_incident=true")
    add_config_args(parser)
    parser.add_argument("what", nargs="?", choices=["catalog"],
                        help="catalog: list every regime with its status, effective dates, confidence, verification "
                             "status and last_checked (no --regime needed)")
    parser.add_argument("--regime", action="append", default=[], metavar="ID[,ID...]",
                        help="regime id(s), e.g. gdpr,nis2 (repeatable; required unless listing the catalog)")
    parser.add_argument("--trigger", action="append", default=[], metavar="NAME=ISO8601",
                        help=f"clock start; names: {', '.join(TRIGGERS)}")
    parser.add_argument("--fact", action="append", default=[], metavar="NAME=VALUE",
                        help="incident fact: true/false, a number, text, JSON, or residents.CA=600 for per-state "
                             "counts; overrides the standing facts of config/organisation.yaml")
    parser.add_argument("--system", action="append", default=[], metavar="ID[,ID...]",
                        help="affected system(s) from config/catalog.yaml: the facts they imply are derived "
                             "(they switch duties on, never off; a --fact of the same name wins)")
    parser.add_argument("--submitted", action="append", default=[], metavar="OBLIGATION=ISO8601",
                        help="actual submission of a stage (chained stages anchor on it)")
    parser.add_argument("--delay", action="append", default=[], metavar="OBLIGATION=DELAY,ISO8601[,REFERENCE]",
                        help="a recorded delay notice, e.g. sec_8k.item_1_05=attorney_general,"
                             "2026-08-07T17:30:00-04:00,DOJ-1 (the law's limits are applied)")
    parser.add_argument("--zone", metavar="IANA", help="zone for times given without a UTC offset")
    parser.add_argument("--at", metavar="ISO8601", help="assess as of this time (default: now); matters for "
                                                         "regimes not yet in effect")
    parser.add_argument("--json", action="store_true", help="print a JSON list instead of text")
    parser.set_defaults(func=run)


class InputError(ValueError):
    pass


def _pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for item in values:
        name, sep, value = item.partition("=")
        if not sep or not name.strip() or not value.strip():
            raise InputError(f"--{what} expects NAME=VALUE, got \"{item}\"")
        out.append((name.strip(), value.strip()))
    return out


def _instant(name: str, value: str, zone: str | None) -> datetime:
    try:
        return parse_instant_input(value, zone)
    except ValueError as exc:
        raise InputError(f"{name}: {exc}") from None


def build_situation(args: argparse.Namespace, config: Any) -> tuple[list[str], Situation]:
    try:
        wanted = [regime_named(config, r) for item in args.regime for r in item.split(",") if r.strip()]
    except ValueError as exc:
        raise InputError(str(exc)) from None
    triggers = {}
    for name, value in _pairs(args.trigger, "trigger"):
        if name not in TRIGGERS:
            hint = " (submissions of a stage go in --submitted)" if name.startswith("submitted") else ""
            raise InputError(f"unknown trigger \"{name}\"; expected one of {', '.join(TRIGGERS)}{hint}")
        triggers[name] = _instant(f"--trigger {name}", value, args.zone)
    submitted = {}
    ids = obligation_ids(config)
    for name, value in _pairs(args.submitted, "submitted"):
        if name not in ids:
            raise InputError(f"--submitted: unknown obligation \"{name}\"; ids look like gdpr.authority "
                             "(see docs/deadlines.md)")
        submitted[name] = _instant(f"--submitted {name}", value, args.zone)
    at = _instant("--at", args.at, args.zone) if args.at else SystemClock().now()
    try:
        given = check_fact_args(config, args.fact)
    except argparse.ArgumentTypeError as exc:
        raise InputError(str(exc)) from None
    systems = [s.strip() for item in args.system for s in item.split(",") if s.strip()]
    unknown_systems = [s for s in systems if s not in system_ids(config)]
    if unknown_systems:
        known = system_ids(config)
        raise InputError(f'--system: unknown system "{unknown_systems[0]}"{near_miss(unknown_systems[0], known)}; '
                         f"systems in config/catalog.yaml: {', '.join(sorted(known)) or 'none'}")
    derived = {name: fact.to_json() for name, fact in derive(config, systems).items()}
    facts, unconfirmed = layered(standing_facts(config), derived, given)
    delays: dict[str, list[DelayNotice]] = {}
    for name, value in _pairs(args.delay, "delay"):
        if name not in ids:
            raise InputError(f"--delay: unknown obligation \"{name}\"; ids look like sec_8k.item_1_05")
        kind, _, rest = value.partition(",")
        until, _, reference = rest.partition(",")
        if not kind.strip() or not until.strip():
            raise InputError(f"--delay expects OBLIGATION=DELAY,ISO8601[,REFERENCE], got \"{name}={value}\"")
        delays.setdefault(name, []).append(DelayNotice(kind.strip(), _instant(f"--delay {name}", until.strip(), args.zone),
                                                       reference.strip(), "cli", at))
    return wanted, Situation(triggers=triggers, facts=facts, submitted=submitted, at=at, delays=delays,
                             derived=unconfirmed)


# What an assessment reads (the catalog listing also names the playbooks that use each regime: everything).
ASSESSMENT_KINDS = ("settings", "regulation", "organisation", "catalog", "derivation")


def run(args: argparse.Namespace) -> int:
    if args.what == "catalog":
        return print_catalog(load_or_exit(args), args)
    if not args.regime:
        print("error: --regime is required (e.g. --regime gdpr,nis2), or use `deadlines catalog` to list the regimes",
              file=sys.stderr)
        return 2
    # A regime's file is named after it and declares every fact it uses (`check` says so otherwise), so the
    # named regimes' own files answer most assessments; reading the other regulations was half the start-up.
    named = {r.strip().lower() for item in args.regime for r in item.split(",") if r.strip()}
    config = load_or_exit(args, kinds=ASSESSMENT_KINDS, only={"regulation": named})
    try:
        try:
            wanted, situation = build_situation(args, config)
        except InputError:
            # an unknown regime, fact or obligation there may be known elsewhere (or misspelt): read every
            # regulation, so the answer, or the error with its suggestions, is the one a whole read gives
            config = load_or_exit(args, kinds=ASSESSMENT_KINDS)
            wanted, situation = build_situation(args, config)
        results = assess(regimes(config), wanted, situation)
    except (InputError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print_json([r.to_json() for r in results])
    else:
        print_text(results)
    return 0


def print_catalog(config: Any, args: argparse.Namespace) -> int:
    try:
        today = (_instant("--at", args.at, args.zone) if args.at else SystemClock().now()).date()
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    rows = catalog_listing(config, today)
    if args.json:
        print_json([r.to_json() for r in rows])
        return 0
    print(DISCLAIMER)
    print(f"\n{len(rows)} regimes on {today.isoformat()}:\n")
    print(f"{'regime':<20} {'status today':<18} {'effective':<23} {'confidence':<11} {'verification':<21} "
          f"{'checked':<10}  used by")
    for r in rows:
        start = r.effective_from.isoformat() if r.effective_from else ""
        end = r.effective_until.isoformat() if r.effective_until else ""
        span = f"{start:>10} - {end:<10}" if (start or end) else "-"
        status = r.status_today + ("*" if r.status_today != r.status else "")
        print(f"{r.regime:<20} {status:<18} {span:<23} {r.confidence:<11} {r.verification:<21} "
              f"{r.last_checked.isoformat():<10}  {', '.join(r.used_by) or '-'}")
    if any(r.status_today != r.status for r in rows):
        print("\n* the dates decide today's status; the file still says otherwise (bot check warns).")
    print("confidence: the weakest obligation of the regime (verified > secondary > unverified).")
    print(f"\n{DISCLAIMER}")
    return 0


def _line(r: Assessment) -> str:
    if r.due_at is not None:
        local = r.due_local()
        assert local is not None
        when = f"{local:%a %Y-%m-%d %H:%M %Z} ({r.zone}) = {r.due_at:%Y-%m-%d %H:%M} UTC"
        when += " [estimated]" if r.estimated else ""
    else:
        when = {"qualitative": "no fixed deadline", "pending": "clock not started",
                "not_applicable": "does not apply", "informational": "informational only"}.get(r.status, "")
    if r.missing_facts and r.status != "not_applicable":
        when += " (assumed: facts missing)"
    return f"{r.obligation:<42} {r.status:<14} {when}"


def print_text(results: list[Assessment]) -> None:
    print(DISCLAIMER)
    print()
    for r in results:
        print(_line(r))
        if r.status != "not_applicable":
            print(f"    to: {r.recipient}")
        print(f"    why: {r.reason}")
    print()
    print(DISCLAIMER)
