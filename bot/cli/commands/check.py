"""``incident-bot check``: validate every configuration file before it is merged."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.cli.common import add_config_args, config_paths, print_issues
from bot.clock import SystemClock
from bot.config.kinds import KINDS
from bot.config.loader import collect


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a date like "2026-12-24", got "{text}"') from None


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check", help="validate config and playbooks (exit 0 if valid, 2 with file:line:col errors)",
        description="Validate every configuration file and playbook, including cross-references and rota "
                    "compliance with the labor rules: in rotas.yaml's fixed compliance window and in the weeks "
                    "ahead of today (compliance.weeks_ahead, default 8). Prints a summary, with the windows "
                    "checked, and exits 0, or prints every error as file:line:col and exits 2. Where the "
                    "database (DATABASE_URL) holds alert receipts, also checks the alert intake: on SQLite the "
                    "inbox file's schema version and owner-only permissions; on both, receipts waiting for "
                    "triage too long (a stuck triage) and receipts triage set aside (incident-bot alerts); a "
                    "problem exits 2.")
    add_config_args(parser)
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors (exit 2)")
    parser.add_argument("--holidays", type=int, metavar="YEAR",
                        help="also list each site's public holidays (and closures) in YEAR, with their sources")
    parser.add_argument("--site", metavar="SITE", help="with --holidays: only this site")
    parser.add_argument("--weeks", type=int, metavar="N",
                        help="check rota compliance for N weeks from today (default: compliance.weeks_ahead in "
                             "rotas.yaml, 8 if not set; 0: only the fixed window)")
    parser.add_argument("--today", type=_date, metavar="DATE",
                        help="check as if today were DATE (default: today), e.g. to repeat an earlier check")
    parser.add_argument("--alerts-stuck-after", type=int, metavar="MINUTES", default=5,
                        help="report alert receipts waiting for triage longer than this as a stuck triage "
                             "(default 5)")
    parser.set_defaults(func=run)


def _windows_checked(paths, today: date, weeks: int | None) -> str | None:
    """Which rota compliance windows were checked, if the rotas file can be read."""
    from bot.oncall.compliance import windows

    config, _ = collect(paths, compliance_blocks=False)
    rotas = config.one("rotas") if config is not None else None
    if rotas is None:
        return None
    return "; ".join(f"{w.first.isoformat()} .. {w.last.isoformat()} ({w.name})" for w in windows(rotas, today, weeks))


def run(args: argparse.Namespace) -> int:
    if args.weeks is not None and not 0 <= args.weeks <= 104:
        print("--weeks: expected 0 to 104", file=sys.stderr)
        return 2
    if args.alerts_stuck_after < 1:
        print("--alerts-stuck-after: expected 1 minute or more", file=sys.stderr)
        return 2
    paths = config_paths(args)
    today = args.today or SystemClock().now().astimezone().date()  # the reader's today
    config, issues = collect(paths, complete=True, today=today, weeks_ahead=args.weeks)
    errors = [i for i in issues if i.severity == "error"]
    warnings = [i for i in issues if i.severity == "warning"]
    intake = _intake_problems(args)
    if config is None:
        print_issues(errors + warnings)
        _print_intake(intake)
        checked = _windows_checked(paths, today, args.weeks) if any(i.category == "compliance" for i in errors) else None
        if checked:
            print(f"\nRota compliance checked: {checked}")
        print(f"\n{len(errors)} error(s) in {len({i.file for i in errors})} file(s): nothing was applied.")
        return 2
    print(f"Configuration OK: {paths.config_dir} (playbooks: {paths.playbooks_dir})")
    for kind in KINDS:
        loaded = config.loaded(kind.name)
        if not loaded:
            continue
        if kind.many:
            names = ", ".join(Path(item.file).stem for item in loaded)
            text = f"{len(loaded)}: {names}"
        else:
            summary = getattr(loaded[0].model, "summary", None)
            text = summary() if callable(summary) else loaded[0].file
        line = f"  {kind.name:<12} {text}"
        print(line if len(line) <= 110 else line[:106].rsplit(" ", 1)[0] + " ...")
    if config.one("rotas") is not None:
        from bot.oncall.compliance import windows

        checked = "; ".join(f"{w.first.isoformat()} .. {w.last.isoformat()} ({w.name})"
                            for w in windows(config.one("rotas"), today, args.weeks))
        print(f"  compliance   {checked}")
    from bot.config.version import config_version

    version = config_version(config)
    print(f"  {'version':<12} {version.digest}" + (f" (git {version.git_commit[:12]}"
                                                      + ("" if version.git_exact else ", with local changes") + ")"
                                                      if version.git_commit else ""))
    if warnings:
        print(f"\n{len(warnings)} warning(s):")
        for w in sorted(warnings):
            print(f"  {w}")
    if args.holidays is not None and not print_holidays(config, args.holidays, args.site):
        return 2
    if intake:
        _print_intake(intake)
        return 2
    return 2 if (warnings and args.strict) else 0


def _intake_problems(args: argparse.Namespace) -> list[str]:
    """What is wrong with the alert intake's stored state (:mod:`bot.alerts.intake_health`)."""
    from datetime import timedelta

    from bot.alerts.intake_health import intake_problems

    return intake_problems(SystemClock().now(), stuck_after=timedelta(minutes=args.alerts_stuck_after))


def _print_intake(problems: list[str]) -> None:
    if problems:
        print(f"\n{len(problems)} problem(s) with the alert intake:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)


def print_holidays(config, year: int, site: str | None) -> bool:
    """Each site's holidays in ``year``: date, weekday, name and where it comes from (package category or citation)."""
    import sys

    from bot.oncall.site_calendar import site_holiday_lists

    people = config.one("people")
    if people is None:
        print("--holidays needs people.yaml (the sites and their calendars)", file=sys.stderr)
        return False
    try:
        lists = site_holiday_lists(people, year, site)
    except KeyError as exc:
        print(exc.args[0], file=sys.stderr)
        return False
    for heading, days in lists:
        print(f"\nHolidays {year}, {heading}: {len(days)}")
        for h in days:
            print(f"  {h.day} {h.day:%a} {h.name} [{h.source}]")
    return True
