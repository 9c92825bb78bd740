"""``incident-bot report``: on-call hours, nights, weekends, holidays, pages, call-outs and rest owed, per person."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import add_config_args, config_paths

EPILOG = """examples:
  python -m bot report --from 2026-12-01 --to 2026-12-31
  python -m bot report --from 2026-12-01 --to 2026-12-31 --format csv --rota platform > december.csv
  python -m bot report --from 2026-12-01 --to 2026-12-31 --html december-report.html

--from and --to are local days (each person's own), both included. Pages, call-outs and exceptions
come from the database in DATABASE_URL (default: the local SQLite file). Columns: docs/managers.md.
The rows read are checked against the audit chain: when one differs (changed outside the bot) the
report names it at its top and on stderr, writes no CSV and no HTML, and exits 1."""


def register(sub: argparse._SubParsersAction) -> None:
    from bot.cli.report_support import date_arg

    parser = sub.add_parser(
        "report", help="per-person on-call report: hours, nights, weekends, holidays, pages, call-outs, rest owed",
        description="Per person: on-call hours, night, weekend and public-holiday hours, pages and call-outs, "
                    "compensatory rest owed and labor exceptions used, with totals and the fairness spread. The "
                    "basis for on-call pay, fairness and working-time records.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(parser)
    parser.add_argument("--from", dest="first", type=date_arg, required=True, metavar="DATE", help="first local day")
    parser.add_argument("--to", dest="last", type=date_arg, required=True, metavar="DATE", help="last local day (included)")
    parser.add_argument("--format", choices=("md", "csv"), default="md", help="Markdown (default) or CSV")
    parser.add_argument("--rota", metavar="ROTA", help="only this rotation or escalation policy")
    parser.add_argument("--html", metavar="FILE", help="also write a self-contained HTML page with the figures and "
                        "charts (on-call, night, weekend and holiday hours, pages, call-outs, rest owed)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.cli.report_support import check_range, load_reviewable_or_exit, write_html
    from bot.reports.oncall_report import build_report
    from bot.reports.report_format import to_csv, to_markdown
    from bot.store import migrate
    from bot.store.database import Store

    check_range(args.first, args.last)
    config = load_reviewable_or_exit(config_paths(args))
    store = Store.connect()
    try:
        migrate.upgrade(store.engine)
        with store.session() as session:
            report = build_report(config, session, args.first, args.last, now=SystemClock().now(), rota=args.rota)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    finally:
        store.dispose()
    if report.chain_problems:
        print(f"{len(report.chain_problems)} row(s) the report reads differ from the audit chain (changed outside the "
              "bot); the figures are not trustworthy:", file=sys.stderr)
        for problem in report.chain_problems:
            print(f"  - {problem}", file=sys.stderr)
        if args.format == "md":
            sys.stdout.write(to_markdown(report))
        return 1
    if args.html:
        from bot.pictures.report_page import report_page

        write_html(args.html, report_page(report))
    sys.stdout.write(to_csv(report) if args.format == "csv" else to_markdown(report))
    return 0
