"""``incident-bot rota preview``: a rota's shifts, labor-rule violations and gaps, and what an edit changes."""

from __future__ import annotations

import argparse
import sys

from bot.cli.common import add_config_args, config_paths, print_json
from bot.config.loader import ConfigPaths

EPILOG = """examples:
  python -m bot rota preview --from 2026-12-21 --to 2027-01-17
  python -m bot rota preview platform --from 2026-12-21 --to 2027-01-17 --json
  python -m bot rota preview --from 2026-12-21 --to 2027-01-17 --diff ../edited/config
  python -m bot rota preview --from 2026-12-01 --to 2026-12-31 --html december.html

--from and --to are local days, both included. Exit codes: 0; 1 with --diff when the edited
configuration introduces a blocking labor-rule violation; 2 when a configuration is invalid.
See docs/managers.md."""


def register(sub: argparse._SubParsersAction) -> None:
    from bot.cli.report_support import date_arg

    parser = sub.add_parser("rota", help="preview a rota (shifts, violations, gaps) and review an edit before merging",
                            description="Managers' rota tools.")
    rota_sub = parser.add_subparsers(dest="rota_command", metavar="SUBCOMMAND")
    rota_sub.required = True
    preview = rota_sub.add_parser(
        "preview", help="shifts per person in their local time, labor-rule violations and coverage gaps",
        description="Materialize the rota for the given local days: every shift per person in the person's own "
                    "time zone, labor-rule violations (rest, weekly rest, hours, consecutive days, holiday work, "
                    "leave) with the rule and its citation, and coverage gaps. With --diff, compare with an edited "
                    "configuration: who gains or loses which shifts, new and resolved violations, new gaps.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_config_args(preview)
    preview.add_argument("rota", nargs="?", metavar="ROTA", help="rotation or escalation policy id (default: all rotations)")
    preview.add_argument("--from", dest="first", type=date_arg, required=True, metavar="DATE", help="first local day, e.g. 2026-12-21")
    preview.add_argument("--to", dest="last", type=date_arg, required=True, metavar="DATE", help="last local day (included)")
    preview.add_argument("--diff", metavar="OTHER_CONFIG_DIR",
                         help="the edited configuration folder to compare with (its playbooks folder: beside it)")
    preview.add_argument("--diff-playbooks-dir", metavar="DIR", help="playbooks folder of the edited configuration")
    preview.add_argument("--notified-on", type=date_arg, metavar="DATE",
                         help="with --diff: the day the edit is notified (default: today); changes sooner than a "
                              "profile's advance_notice allows are findings")
    preview.add_argument("--json", action="store_true", help="print JSON instead of text")
    preview.add_argument("--html", metavar="FILE",
                         help="also write a self-contained HTML page: month calendars per rotation and per person "
                              "with holidays, leave, gaps and findings (with --diff: current and edited side by side)")
    preview.set_defaults(func=run_preview)


def run_preview(args: argparse.Namespace) -> int:
    from bot.cli.report_support import check_range, load_reviewable_or_exit, with_stored_covers, write_html
    from bot.reports.diff import diff_configs
    from bot.reports.preview import build_preview

    check_range(args.first, args.last)
    config = with_stored_covers(load_reviewable_or_exit(config_paths(args)))
    edited = None
    try:
        if args.diff:
            edited = with_stored_covers(load_reviewable_or_exit(ConfigPaths.default(args.diff, args.diff_playbooks_dir),
                                                                "edited configuration"))
            from bot.clock import SystemClock

            notified = args.notified_on or SystemClock().now().date()
            result = diff_configs(config, edited, args.first, args.last, args.rota, notified_on=notified)
        else:
            result = build_preview(config, args.first, args.last, args.rota)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return 2
    if args.html:
        write_html(args.html, _page(config, edited if args.diff else None, result))
    if args.json:
        print_json(result.to_json())
    else:
        print(result.to_text())
    return 1 if args.diff and result.new_blocking else 0


def _page(config, edited, result) -> str:
    from bot.clock import SystemClock
    from bot.pictures.rota_page import diff_page, preview_page

    now = SystemClock().now()
    if edited is not None:
        return diff_page(config, edited, result, generated_at=now)
    return preview_page(config, result, generated_at=now)
