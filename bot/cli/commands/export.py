"""``incident-bot export INCIDENT --format md|json|html``: the evidence pack for auditors."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.audit.export import IncidentRowMissing, MalformedChain, evidence_pack, render_markdown
from bot.cli.common import add_config_args, add_min_retention_arg, min_retention_days
from bot.clock import SystemClock
from bot.private_file import write_private
from bot.store.database import Store


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "export", help="write an incident's evidence pack (timeline, roles, pages, obligations, chain head)",
        description="Write the evidence pack an auditor asks for: the verified timeline with its head hash, roles "
                    "and hand-overs, pages with acknowledgements and reasons, labor-law exceptions used, obligations "
                    "with due and actual notification times (met or missed), and legal clock changes. "
                    "DATABASE_URL selects the database.")
    parser.add_argument("incident", type=int, metavar="INCIDENT", help="incident number (42 for INC-42)")
    parser.add_argument("--format", choices=("md", "json", "html"), default="md",
                        help="Markdown (default), JSON, or a self-contained HTML page")
    parser.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of standard output")
    add_min_retention_arg(parser)
    add_config_args(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    store = Store.connect()
    try:
        with store.session() as s:
            pack = evidence_pack(s, args.incident, now=SystemClock().now(), min_retention_days=min_retention_days(args))
    except IncidentRowMissing as exc:  # tampering, not a wrong number: as `audit verify`, exit 1
        print(str(exc), file=sys.stderr)
        return 1
    except LookupError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except MalformedChain as exc:  # a pack would leave these events out or misread them: none is written
        print(f"no evidence pack written: the chain of INC-{args.incident} holds event(s) the bot could not have "
              "written (data in another shape, written outside the bot):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        print(f"`incident-bot audit verify {args.incident}` reports them with the rest of the chain's check; "
              "see docs/audit.md, Threat model", file=sys.stderr)
        return 1
    finally:
        store.dispose()
    if args.format == "json":
        text = json.dumps(pack, indent=2, ensure_ascii=False, default=str) + "\n"
    elif args.format == "html":
        from bot.pictures.evidence_page import evidence_page

        text = evidence_page(pack)
    else:
        text = render_markdown(pack) + "\n"
    if args.output:
        write_private(Path(args.output), text)  # evidence names people: owner-only
        print(f"wrote {args.output} (chain head {pack['audit']['head_hash']})")
    else:
        sys.stdout.write(text)
    return 0 if pack["audit"]["verified"] else 1
