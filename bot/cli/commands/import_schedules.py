"""``incident-bot import pagerduty|opsgenie|ical FILE…``: draft rotas from another on-call tool, reviewed."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import add_config_args, config_paths

EPILOG = """examples:
  python -m bot import pagerduty platform-schedule.json --out var/import --from 2027-01-04 --to 2027-01-31
  python -m bot import opsgenie schedule.json --person anna@example.com=anna --fallback katrin --out var/import
  python -m bot import ical oncall.ics --timezone Europe/Berlin --out var/import

Writes OUT/rotas.fragment.yaml, OUT/people.fragment.yaml and OUT/config (the current configuration with the
fragments added), lists what could not be mapped and why, then reviews OUT/config against the current
configuration like `rota preview --diff`. Exit codes: 0 everything mapped and no new blocking violation;
1 something could not be mapped or the import adds a blocking violation; 2 unreadable input or a draft
that does not load. See docs/managers.md."""


def register(sub: argparse._SubParsersAction) -> None:
    from bot.cli.report_support import date_arg

    parser = sub.add_parser(
        "import", help="draft rotas.yaml/people.yaml from PagerDuty or Opsgenie schedule JSON or an iCalendar feed",
        description="Read schedules exported from PagerDuty (GET /schedules/{id}, GET /schedules/{id}/overrides), "
                    "Opsgenie (GET /v2/schedules/{id}?expand=rotation) or an iCalendar feed; write draft fragments; "
                    "list what could not be mapped; review the result with the labor-rule checks.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument("vendor", choices=("pagerduty", "opsgenie", "ical"), help="where the files come from")
    parser.add_argument("files", nargs="+", metavar="FILE", help="exported JSON (or .ics) files")
    parser.add_argument("--out", default="var/import", metavar="DIR", help="where to write the draft (default var/import)")
    parser.add_argument("--person", action="append", default=[], metavar="VENDOR_ID=PERSON",
                        help="map a vendor user (id, e-mail or name) to a person id (repeatable)")
    parser.add_argument("--site", help="site for people not in people.yaml yet (default: the first site)")
    parser.add_argument("--fallback", metavar="PERSON", help="fallback manager of the imported rotations")
    parser.add_argument("--timezone", help="zone of an iCalendar feed without X-WR-TIMEZONE (default UTC)")
    parser.add_argument("--from", dest="first", type=date_arg, metavar="DATE", help="first day to review (default today)")
    parser.add_argument("--to", dest="last", type=date_arg, metavar="DATE", help="last day to review (default +27 days)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(func=run)


def _mapping(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        key, sep, value = item.rpartition("=")
        if not sep or not key or not value:
            raise ValueError(f'--person expects VENDOR_ID=PERSON, got "{item}"')
        out[key.strip()] = value.strip()
    return out


def _documents(vendor: str, files: list[str]) -> list:
    docs = []
    for name in files:
        path = Path(name)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ValueError(f"cannot read {name}: {exc.strerror}") from None
        if vendor == "ical":
            docs.append((path.name, raw))
            continue
        try:
            docs.append(json.loads(raw))
        except ValueError as exc:
            raise ValueError(f"{name} is not JSON ({exc}); export it from the {vendor} API as JSON") from None
    return docs


def run(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from bot.clock import SystemClock
    from bot.config.loader import ConfigPaths
    from bot.importers import ical, opsgenie, pagerduty, review
    from bot.importers.people_match import PeopleMatcher
    from bot.oncall.wallclock import local_date
    from bot.cli.report_support import check_range, load_reviewable_or_exit
    from bot.reports.diff import diff_configs

    now = SystemClock().now()
    paths = config_paths(args)
    current = load_reviewable_or_exit(paths)
    try:
        documents = _documents(args.vendor, args.files)
        matcher = PeopleMatcher(current, _mapping(args.person), args.site)
        if args.vendor == "ical":
            draft = ical.read(documents, matcher, fallback=args.fallback, zone=args.timezone)
        else:
            module = pagerduty if args.vendor == "pagerduty" else opsgenie
            draft = module.read(documents, matcher, fallback=args.fallback, now=now)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    written = review.write(draft, paths.config_dir, Path(args.out))
    edited = load_reviewable_or_exit(ConfigPaths(written.merged, paths.playbooks_dir), "imported draft")
    first = args.first or local_date(now, "UTC")
    last = args.last or first + timedelta(days=27)
    check_range(first, last)
    result = diff_configs(current, edited, first, last)
    if args.json:
        print(json.dumps({"rotations": [r["id"] for r in draft.rotations], "people": [p["id"] for p in draft.people],
                          "overrides": len(draft.overrides),
                          "unmapped": [{"what": u.what, "reason": u.reason} for u in draft.unmapped],
                          "notes": draft.notes, "files": [str(written.rotas), str(written.people), str(written.merged)],
                          "review": result.to_json()}, indent=2, ensure_ascii=False))
    else:
        print(_summary(draft, written))
        print()
        print(result.to_text())
    return 1 if draft.unmapped or result.new_blocking else 0


def _summary(draft, written) -> str:
    out = [f"Imported from {draft.source}: {len(draft.rotations)} rotation(s) "
           f"({', '.join(r['id'] for r in draft.rotations) or 'none'}), {len(draft.people)} new person(s), "
           f"{len(draft.overrides)} override(s)."]
    out.append(f"Draft written: {written.rotas}, {written.people}; merged configuration: {written.merged}")
    out.append("")
    out.append(f"Could not be mapped: {len(draft.unmapped)}" if draft.unmapped else "Could not be mapped: nothing")
    out += [f"  - {u.describe()}" for u in draft.unmapped]
    if draft.notes:
        out += ["", "Notes:"] + [f"  - {n}" for n in draft.notes]
    return "\n".join(out)
