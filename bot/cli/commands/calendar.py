"""``incident-bot calendar``: an iCalendar (.ics) feed of on-call shifts for a person or a rotation."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.cli.common import add_config_args, config_paths

EPILOG = """examples:
  python -m bot calendar --person anna --out public/oncall/anna.ics
  python -m bot calendar --rota platform --from 2027-01-01 --to 2027-03-31 --out platform.ics
  python -m bot calendar --person anna > anna.ics

Default range: today .. today + 90 days (the person's or the rotation's local days).
Subscribing: docs/managers.md."""


def register(sub: argparse._SubParsersAction) -> None:
    from bot.cli.report_support import date_arg

    parser = sub.add_parser("calendar", help="iCalendar feed of on-call shifts for a person or a rotation",
                            description="Write an iCalendar (.ics) feed of on-call shifts: events in UTC with stable "
                                        "UIDs, deputies and handoffs in the description.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", metavar="ID", help="every shift of this person, in any rotation")
    who.add_argument("--rota", metavar="ID", help="every shift of this rotation")
    parser.add_argument("--from", dest="first", type=date_arg, metavar="DATE", help="first local day (default: today)")
    parser.add_argument("--to", dest="last", type=date_arg, metavar="DATE", help="last local day (default: today + 90 days)")
    parser.add_argument("--out", metavar="FILE", help="write to FILE (default: standard output)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.reports.calendar_feed import UnknownFeed, feed_of, requested_range
    from bot.cli.report_support import check_range, load_reviewable_or_exit, with_stored_covers

    config = with_stored_covers(load_reviewable_or_exit(config_paths(args)))
    clock = SystemClock()
    try:
        feed = requested_range(config, clock, person=args.person, rotation=args.rota, first=args.first, last=args.last)
    except UnknownFeed as exc:
        print(str(exc), file=sys.stderr)
        return 2
    check_range(feed.first, feed.last)
    data = feed_of(config, feed, now=clock.now(), person=args.person, rotation=args.rota)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_bytes(data)
        print(f"wrote {args.out} ({data.count(b'BEGIN:VEVENT')} shifts, {feed.first} .. {feed.last})", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data) if hasattr(sys.stdout, "buffer") else sys.stdout.write(data.decode())
    return 0
