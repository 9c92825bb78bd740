"""``incident-bot purge [--dry-run]``: redact free text of incidents closed longer ago than the retention period.

Exit 1 when it left events the bot could not have written as they are (it names them); the rest is done."""

from __future__ import annotations

import argparse

from bot.alerts.receipts import Receipts
from bot.purge.alert_intake import forget_receipts, waiting_receipts
from bot.purge.retention import purge
from bot.reports.calendar_links import CalendarLinks
from bot.cli.common import add_config_args, load_or_exit
from bot.clock import SystemClock
from bot.store.database import Store


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "purge", help="redact free text of incidents closed more than retention_days ago",
        description="Data minimisation: for every incident closed more than settings.retention_days ago, replace "
                    "titles, descriptions, summaries, notes and reasons with [redacted]. Who did what and when, "
                    "deadlines and notification references stay, and the audit chain still verifies (the purge is "
                    "itself recorded). DATABASE_URL selects the database.")
    add_config_args(parser)
    parser.add_argument("--dry-run", action="store_true", help="show what would be redacted without changing anything")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = load_or_exit(args)
    days = config.settings.retention_days
    store, now = Store.connect(), SystemClock().now()
    try:
        orphans = CalendarLinks(store, lambda: config, SystemClock(), base_url="").revoke_orphans(dry_run=args.dry_run)
        with store.session() as s:
            report = purge(s, retention_days=days, now=now, dry_run=args.dry_run)
            if args.dry_run:
                s.rollback()
        waiting = waiting_receipts(store, cutoff=report.cutoff)
        report.alert_receipts = forget_receipts(store, cutoff=report.cutoff, now=now, retention_days=days,
                                                dry_run=args.dry_run, kept=waiting)
        if not args.dry_run and (report.incidents or report.exercises or report.global_events or report.alert_groups
                                 or report.calendar_links):
            store.reclaim()  # the redacted text leaves the database files too (VACUUM)
        if not args.dry_run and report.alert_receipts:
            Receipts.of_engine(store.engine).reclaim()  # and the deleted receipts the SQLite inbox file
    finally:
        store.dispose()
    verb = "would redact" if args.dry_run else "redacted"
    print(f"retention {days} days: incidents closed before {report.cutoff.isoformat()}")
    for item in report.incidents:
        print(f"  INC-{item.number} (closed {item.closed_at.isoformat()}): {verb} {len(item.redacted_seqs)} event(s)")
    if not report.incidents:
        print("  no incident to redact")
    for number, until in report.held:
        print(f"  INC-{number}: kept until {until.isoformat()} (a legal duty retains its record, e.g. PIPEDA 24 months)")
    for number in report.held_for_followups:
        print(f"  INC-{number}: kept while its follow-up actions are open or deferred (incident-bot followups --open)")
    if report.exercises:
        print(f"  exercises before the cutoff: {verb} the findings of "
              + ", ".join(f"EX-{seq}" for seq in report.exercises))
    if report.global_events:
        print(f"  outside incidents (covers, test pages, links, alerts): {verb} "
              f"{len(report.global_events)} event(s) before the cutoff")
    if report.alert_groups or report.alert_receipts:
        print(f"  alert intake: {verb} the words of {len(report.alert_groups)} alert group(s) resolved, or last "
              f"alerted, before the cutoff; {verb.replace('redact', 'delete')} {report.alert_receipts} triaged alert "
              "receipt(s)")
    if waiting.count:
        print(f"  alert intake: {'would keep' if args.dry_run else 'kept'} {waiting.count} alert receipt(s) received "
              f"before the cutoff that triage has not finished (the oldest {waiting.oldest.isoformat()}): an alert is "
              "never deleted before triage decided about it; incident-bot check reports a stuck triage")
    print(f"  {verb.replace('redact', 'delete')} {report.request_records} stored request result(s) older than the cutoff")
    if orphans:
        print(f"  {'would revoke' if args.dry_run else 'revoked'} {orphans} calendar link(s) whose person or rotation "
              "left the configuration (deleted once revoked longer than the retention period)")
    if report.calendar_links:
        print(f"  {verb.replace('redact', 'delete')} {report.calendar_links} calendar link(s) revoked before the cutoff")
    if report.status_subscribers:
        print(f"  status page: {verb.replace('redact', 'delete')} {report.status_subscribers} subscriber(s) "
              "unsubscribed before the cutoff or never confirmed")
    for number in report.held_malformed:
        print(f"  INC-{number}: kept whole, its chain holds an event the bot could not have written (below)")
    if report.malformed:
        print(f"  left as they are, written outside the bot in a shape the bot never writes (`incident-bot audit "
              "verify` reports them too; see docs/audit.md, Threat model):")
        for problem in report.malformed:
            print(f"    {problem}")
        return 1
    return 0
