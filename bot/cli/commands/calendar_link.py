"""``incident-bot calendar-link issue|list|revoke``: live calendar URLs with secret, revocable tokens."""

from __future__ import annotations

import argparse
import os
import sys

from bot.cli.common import add_config_args, load_or_exit

EPILOG = """examples:
  python -m bot calendar-link issue --person anna --by anna
  python -m bot calendar-link issue --rota platform --by camille
  python -m bot calendar-link list
  python -m bot calendar-link revoke 3 --by U012AB3CD

issue prints the URL once (WEB_PUBLIC_URL + /calendar/<token>.ics): give it to the person it is for, who adds it
to their calendar app as a subscription. Only a hash of the token is kept, so a lost URL cannot be shown again:
revoke it and issue a new one. --by names who acts, for the audit trail: anyone may issue and revoke links to
their own shifts; a rota's link or someone else's needs config/permissions.yaml's issue_calendar_link.
People get their own with /oncall calendar in Slack. DATABASE_URL selects the database."""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("calendar-link", help="live calendar URLs: issue, list, revoke",
                            description="Issue, list and revoke live calendar URLs served by `serve` under the web "
                                        "view: a secret token per link, only its hash stored.",
                            epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    links = parser.add_subparsers(dest="calendar_link_command", metavar="SUBCOMMAND")
    links.required = True
    issue = links.add_parser("issue", help="issue a link to a person's or a rotation's shifts and print it once")
    who = issue.add_mutually_exclusive_group(required=True)
    who.add_argument("--person", metavar="ID", help="every shift of this person, in any rotation")
    who.add_argument("--rota", metavar="ID", help="every shift of this rotation")
    by_option(issue, "who issues")
    add_config_args(issue)
    issue.set_defaults(func=run_issue)
    listing = links.add_parser("list", help="every link: id, scope, issued, last used, revoked (no secrets)")
    add_config_args(listing)
    listing.set_defaults(func=run_list)
    revoke = links.add_parser("revoke", help="revoke a link at once")
    revoke.add_argument("id", type=int, metavar="ID", help="the link's id (calendar-link list)")
    by_option(revoke, "who revokes")
    add_config_args(revoke)
    revoke.set_defaults(func=run_revoke)


def by_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--by", required=True, metavar="PERSON",
                        help=f"{what}, for the audit trail: a person of people.yaml (id or Slack user id) or one of "
                             "settings.yaml's admins")


def _service(config, base_url: str = ""):
    from bot.clock import SystemClock
    from bot.reports.calendar_links import CalendarLinks

    return lambda store: CalendarLinks(store, lambda: config, SystemClock(), base_url=base_url)


def _actor(config, by: str) -> str | None:
    """The Slack user id ``--by`` names (as Slack names the actor, and as permissions.yaml is checked); None once
    the reason is printed."""
    from bot.cli.acting_person import acting_person
    from bot.cli.commands.review import slack_actor

    person = acting_person(config, by, admins=True)
    return None if person is None else slack_actor(config, person)


def run_issue(args: argparse.Namespace) -> int:
    from bot.cli.common import migrated_store
    from bot.incidents.errors import IncidentError
    from bot.oncall.calendar_links import Scope
    from bot.web.setup import public_url

    config = load_or_exit(args)
    try:
        base = public_url(dict(os.environ))
    except ValueError as exc:
        print(f"{exc}: the link is printed under the web view's address (as `serve` uses it); nothing was issued",
              file=sys.stderr)
        return 2
    actor = _actor(config, args.by)
    if actor is None:
        return 2
    with migrated_store() as store:
        try:
            issued = _service(config, base)(store).issue(Scope(person=args.person, rotation=args.rota),
                                                          actor=actor)
        except IncidentError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    print(f"calendar link #{issued.id} for {issued.scope.describe()} (shown once; `calendar-link revoke "
          f"{issued.id} --by PERSON` ends it):", file=sys.stderr)
    print(issued.url)
    return 0


def _when(at) -> str:
    return "-" if at is None else f"{at:%Y-%m-%d %H:%M} UTC"


def run_list(args: argparse.Namespace) -> int:
    from bot.cli.common import migrated_store

    config = load_or_exit(args)
    with migrated_store() as store:
        rows = _service(config)(store).listing()
    if not rows:
        print("no calendar links; `calendar-link issue --person ID` issues one")
        return 0
    print("id\tscope\tissued\tby\tlast used\trevoked")
    for r in rows:
        revoked = "-" if r.revoked_at is None else f"{_when(r.revoked_at)} by {r.revoked_by}"
        print(f"{r.id}\t{r.scope.describe()}\t{_when(r.issued_at)}\t{r.issued_by}\t{_when(r.last_used_at)}\t{revoked}")
    return 0


def run_revoke(args: argparse.Namespace) -> int:
    from bot.cli.common import migrated_store
    from bot.incidents.errors import IncidentError

    config = load_or_exit(args)
    actor = _actor(config, args.by)
    if actor is None:
        return 2
    with migrated_store() as store:
        try:
            done = _service(config)(store).revoke(args.id, actor=actor)
        except IncidentError as exc:
            print(str(exc), file=sys.stderr)
            return 2
    print(f"calendar link #{args.id} " + ("revoked: it opens nothing from now on" if done else "was revoked already"))
    return 0
