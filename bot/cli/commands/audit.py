"""``incident-bot audit verify [INCIDENT]``: check the tamper-evident timeline."""

from __future__ import annotations

import argparse

from sqlmodel import select

from bot.audit.trail import verify_chain
from bot.store.database import Store


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit", help="verify the hash-chained audit trail",
                            description="Audit trail commands. DATABASE_URL selects the database.")
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION")
    actions.required = True
    verify = actions.add_parser(
        "verify", help="verify the hash chain of one incident or of all (exit 1 if broken)",
        description="Recompute every event's digest and hash and check the sequence and links. Prints each chain's "
                    "head hash: compare it with the one posted when the incident was closed or printed in an "
                    "export, which also detects deletion of the newest events. Exit 0 if every chain verifies, "
                    "1 if any is broken.")
    verify.add_argument("incident", nargs="?", type=int, metavar="INCIDENT",
                        help="incident number (e.g. 42 for INC-42); all incidents and the global chain if omitted")
    verify.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from bot.incidents.tables import Incident

    store = Store.connect()
    broken = 0
    with store.session() as s:
        query = select(Incident).order_by(Incident.number)
        if args.incident is not None:
            query = query.where(Incident.number == args.incident)
        incidents = list(s.exec(query).all())
        if args.incident is not None and not incidents:
            print(f"there is no incident INC-{args.incident}")
            return 2
        chains = [(f"INC-{i.number}", i.id) for i in incidents]
        if args.incident is None:
            chains.append(("global", None))
        for name, incident_id in chains:
            result = verify_chain(s, incident_id)
            state = "ok" if result.ok else "BROKEN"
            print(f"{name}: {state}, {result.events} events, head {result.head_hash}")
            for problem in result.problems:
                print(f"  - {problem}")
            broken += 0 if result.ok else 1
    store.dispose()
    if broken:
        print(f"{broken} chain(s) broken")
    return 1 if broken else 0
