"""``incident-bot audit verify|checkpoint|published|keygen|verify-pack``: the tamper-evident trail and its anchors."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlmodel import select

from bot.cli.common import add_config_args, add_min_retention_arg, load_or_exit, min_retention_days, retention_days_arg
from bot.clock import SystemClock
from bot.store.database import Store


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("audit", help="verify the audit trail, sign checkpoints, verify evidence packs",
                            description="Audit trail commands. DATABASE_URL selects the database; the signing key "
                                        "comes from AUDIT_SIGNING_KEY or AUDIT_SIGNING_KEY_FILE (see docs/audit.md).")
    actions = parser.add_subparsers(dest="audit_action", metavar="ACTION")
    actions.required = True
    verify = actions.add_parser(
        "verify", help="verify the chains and evidence tables, against signed anchors (exit 1 if tampered)",
        description="Recompute every event's digest and hash, check sequence and links, compare every evidence "
                    "table row with its state on the chain, and check that every effect the chain says was wanted in "
                    "Slack (a post, an invite, the channel, the answer to a command) still has its outbox row and is "
                    "finished there only if the chain says so. With --anchor and --public-key, also compare the database "
                    "with every signed checkpoint in the anchor file: a deleted incident, deleted newest events and "
                    "a re-written chain are reported. With --anchor and --published (the audit channel's copy, from "
                    "`audit published`), also compare the anchor file with what Slack kept: a published checkpoint "
                    "missing between the file's lines or with another hash (the file re-written and re-signed), an "
                    "edited message and a number missing between published ones are reported; published "
                    "checkpoints newer than the file's last line are BEHIND (a copy taken before they were "
                    "appended, or a cut-off tail: take a fresh copy and verify again). Exit 0 if everything "
                    "verifies, 1 if anything was tampered with or the anchor file is behind the audit channel.")
    verify.add_argument("incident", nargs="?", type=int, metavar="INCIDENT",
                        help="incident number (e.g. 42 for INC-42); all incidents and the global chain if omitted")
    verify.add_argument("--anchor", type=Path, metavar="FILE",
                        help="anchor file with signed checkpoints (use the copy kept outside the bot's host); "
                             "compared with the whole database, also when INCIDENT is given")
    verify.add_argument("--public-key", type=Path, metavar="KEY", help="the auditor's copy of the public key (PEM)")
    verify.add_argument("--published", type=Path, metavar="FILE",
                        help="checkpoints read back from the audit channel (`incident-bot audit published -o FILE`): "
                             "every one must be in the --anchor file with the same sha256 (--public-key then optional)")
    add_min_retention_arg(verify)
    add_config_args(verify)
    verify.set_defaults(func=run_verify)
    checkpoint = actions.add_parser(
        "checkpoint", help="sign the heads of every chain now and append them to the anchor file",
        description="Sign every chain's head with the key from the environment and append the checkpoint to "
                    "AUDIT_ANCHOR_FILE (default var/audit/anchors.jsonl). The bot also does this on every close "
                    "and every 10 minutes while serving. With audit_channel set in config/settings.yaml, its post "
                    "there is written to the outbox, which the running bot delivers. Exit 2 if no signing key is "
                    "configured.")
    checkpoint.add_argument("--anchor", type=Path, metavar="FILE", help="anchor file (default: AUDIT_ANCHOR_FILE)")
    add_config_args(checkpoint)
    checkpoint.set_defaults(func=run_checkpoint)
    published = actions.add_parser(
        "published", help="read the checkpoints published in the audit channel back from Slack into a file",
        description="Read the audit channel's history through the Slack Web API (SLACK_BOT_TOKEN, SLACK_API_URL) "
                    "and write every checkpoint the bot published there as JSON lines: seq, line_sha256, Slack's "
                    "ts and whether the message was edited. Compare it with an anchor file with "
                    "`audit verify --anchor FILE --published FILE`. Exit 2 if the channel cannot be read.")
    published.add_argument("-o", "--output", type=Path, required=True, metavar="FILE", help="where to write them")
    published.add_argument("--channel", metavar="CHANNEL",
                           help="the audit channel, by name or id (default: audit_channel in config/settings.yaml)")
    add_config_args(published)
    published.set_defaults(func=run_published)
    keygen = actions.add_parser(
        "keygen", help="create the Ed25519 signing key (0600) and the public key for auditors",
        description="Write DIR/audit-signing.key (private, owner-only: give it to the bot with "
                    "AUDIT_SIGNING_KEY_FILE) and DIR/audit-signing.pub (give it to auditors). Refuses to overwrite.")
    keygen.add_argument("directory", type=Path, metavar="DIR")
    keygen.set_defaults(func=run_keygen)
    pack = actions.add_parser(
        "verify-pack", help="verify a JSON evidence pack offline, with the public key only (exit 1 if not)",
        description="Check a JSON evidence pack without any database: every event's digest and hash, the links, "
                    "the signed checkpoint it carries (with the public key), and that every section (incident, "
                    "roles, pages, exceptions, obligations and their outcome) is what the chain says.")
    pack.add_argument("file", type=Path, metavar="FILE", help="the pack (incident-bot export N --format json)")
    pack.add_argument("--public-key", type=Path, required=True, metavar="KEY", help="the public key (PEM)")
    pack.add_argument("--anchor", type=Path, metavar="FILE",
                      help="also compare the pack with every checkpoint of this anchor file")
    pack.add_argument("--min-retention-days", type=retention_days_arg, metavar="DAYS",
                      help="the organisation's retention_days: a redaction dated earlier after the incident's close "
                           "than this (or than the period the purge recorded) is reported as forged (default: 1, "
                           "so only the period the purge recorded counts)")
    pack.set_defaults(func=run_verify_pack)


def _public_key(path: Path | None):
    from bot.audit.signing import KeyProblem, public_key_from_file

    if path is None:
        return None
    try:
        return public_key_from_file(path)
    except KeyProblem as exc:
        print(str(exc), file=sys.stderr)
        raise SystemExit(2) from None


def _anchors(path: Path):
    from bot.audit.checkpoints import read_anchors

    try:
        return read_anchors(path)
    except OSError as exc:
        print(f"{path}: cannot read the anchor file ({exc.strerror})", file=sys.stderr)
        raise SystemExit(2) from None


def run_verify(args: argparse.Namespace) -> int:
    from bot.audit.checkpoints import anchor_problems, uncovered
    from bot.audit.published import PublishedFileProblem, read_published
    from bot.audit.evidence import verify_incident
    from bot.audit.missing_incidents import missing_incident_ids, missing_row_problem
    from bot.incidents.tables import Incident

    if args.anchor is None and (args.public_key is not None or args.published is not None) or \
            args.anchor is not None and args.public_key is None and args.published is None:
        print("give --anchor and --public-key together (the checkpoints and the key that signed them), and "
              "--published only with --anchor", file=sys.stderr)
        return 2
    key = _public_key(args.public_key)
    try:
        published = read_published(args.published) if args.published is not None else None
    except PublishedFileProblem as exc:
        print(str(exc), file=sys.stderr)
        return 2
    store = Store.connect()
    broken = behind = 0
    try:
        with store.session() as s:
            query = select(Incident).order_by(Incident.number)
            if args.incident is not None:
                query = query.where(Incident.number == args.incident)
            incidents = list(s.exec(query).all())
            gone = missing_incident_ids(s, number=args.incident)
            if args.incident is not None and not incidents and not gone:
                print(f"there is no incident INC-{args.incident}" + (" (the anchors are still checked)" if args.anchor
                                                                     else ""))
                if args.anchor is None:
                    return 2
                broken += 1
            chains = [(f"INC-{i.number}", i.id) for i in incidents] + [(f"incident:{i}", i) for i in gone]
            if args.incident is None:
                chains.append(("global", None))
            now, floor = SystemClock().now(), min_retention_days(args)
            for name, incident_id in chains:
                result = verify_incident(s, incident_id, now=now, min_retention_days=floor)
                if name.startswith("incident:"):
                    result.problems.insert(0, missing_row_problem(s, incident_id, result.events))
                print(f"{name}: {'ok' if result.ok else 'BROKEN'}, {result.events} events, head {result.head_hash}")
                for problem in result.problems:
                    print(f"  - {problem}")
                broken += 0 if result.ok else 1
            if args.anchor is not None and key is None:
                anchors, unreadable = _anchors(args.anchor)
                print(f"anchors {args.anchor}: not compared with the database (no --public-key)")
            elif args.anchor is not None:
                anchors, unreadable = _anchors(args.anchor)
                problems = unreadable + anchor_problems(s, anchors, key)
                print(f"anchors {args.anchor}: {'ok' if not problems else 'TAMPERING'}, {len(anchors)} checkpoint(s)")
                for problem in problems:
                    print(f"  - {problem}")
                later = uncovered(s, anchors)
                if later:
                    print(f"  note: {sum(later.values())} event(s) in {len(later)} chain(s) came after the newest "
                          "checkpoint given; they are protected by the chain only until the next checkpoint")
                broken += 1 if problems else 0
            if published is not None:
                tampered, behind = _report_published(s, args.published, anchors, published,
                                                     unreadable if key is None else [])
                broken += tampered
    finally:
        store.dispose()
    if broken:
        print(f"{broken} problem group(s): the trail was tampered with")
    elif behind:
        print("the anchor file is behind the audit channel: nothing found tampered with, but it cannot be told "
              "from a truncated anchor file until a fresh copy holds the published checkpoints")
    return 1 if broken or behind else 0


def _report_published(session, path: Path, anchors: list, published: list, unreadable: list[str]) -> tuple[int, int]:
    """Print the comparison of the anchor file with the audit channel's copy: (1 if they disagree, 1 if the anchor
    file lacks published checkpoints newer than its last line)."""
    from bot.audit.published import published_problems, stored_checkpoints

    newest = max((a.seq for a in anchors), default=0)
    stored = stored_checkpoints(session, (p.seq for p in published if p.seq > newest))
    check = published_problems(anchors, published, stored)
    problems = unreadable + check.problems
    verdict = "TAMPERING" if problems else "BEHIND" if check.behind else "ok"
    print(f"published {path}: {verdict}, {len(published)} published checkpoint(s) compared with the anchor file")
    for problem in problems + check.behind:
        print(f"  - {problem}")
    for note in check.notes:
        print(f"  note: {note}")
    return (1 if problems else 0), (1 if check.behind else 0)


def run_published(args: argparse.Namespace) -> int:
    from bot.slack.audit_channel import AuditChannelProblem, published_checkpoints
    from bot.slack.client import make_client

    channel = args.channel or load_or_exit(args, kinds=("settings",)).settings.audit_channel
    if not channel:
        print("no audit channel: give --channel or set audit_channel in config/settings.yaml", file=sys.stderr)
        return 2
    try:
        found = published_checkpoints(make_client(), channel)
    except AuditChannelProblem as exc:
        print(str(exc), file=sys.stderr)
        return 2
    try:
        args.output.write_text("".join(item.as_json() + "\n" for item in found), encoding="utf-8")
    except OSError as exc:
        print(f"{args.output}: cannot write ({exc.strerror})", file=sys.stderr)
        return 2
    edited = sum(1 for item in found if item.edited)
    numbers = f" (#{min(i.seq for i in found)}..#{max(i.seq for i in found)})" if found else ""
    print(f"{len(found)} checkpoint(s) published in #{channel.lstrip('#')}{numbers}, {edited} edited; "
          f"written to {args.output}")
    return 0


def run_checkpoint(args: argparse.Namespace) -> int:
    from bot.audit.checkpoints import anchor_path, write_checkpoint
    from bot.audit.signing import KeyProblem, signing_key_from_env

    try:
        key = signing_key_from_env()
    except KeyProblem as exc:
        print(str(exc), file=sys.stderr)
        return 2
    if key is None:
        print("no signing key: set AUDIT_SIGNING_KEY_FILE (or AUDIT_SIGNING_KEY) to the key from "
              "`incident-bot audit keygen DIR`", file=sys.stderr)
        return 2
    path = args.anchor or anchor_path()
    channel = load_or_exit(args, kinds=("settings",)).settings.audit_channel
    store = Store.connect()
    try:
        row = write_checkpoint(store, SystemClock().now(), key=key, path=path, audit_channel=channel)
    finally:
        store.dispose()
    if row is None:
        print(f"nothing changed since the last checkpoint; {path} is up to date")
    else:
        posted = f"; its post to #{channel} is queued (the running bot's outbox sends it)" if channel else ""
        print(f"checkpoint #{row.seq}: {len(row.body['chains'])} chain(s) signed, appended to {path}{posted}")
    return 0


def run_keygen(args: argparse.Namespace) -> int:
    from bot.audit.signing import KeyProblem, write_key_pair

    try:
        private, public = write_key_pair(args.directory)
    except KeyProblem as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(f"wrote {private} (owner-only; AUDIT_SIGNING_KEY_FILE={private}) and {public} (for auditors)")
    return 0


def run_verify_pack(args: argparse.Namespace) -> int:
    from bot.audit.offline import verify_pack

    key = _public_key(args.public_key)
    try:
        pack = json.loads(args.file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"{args.file}: cannot read a JSON evidence pack ({exc})", file=sys.stderr)
        return 2
    anchors, unreadable = _anchors(args.anchor) if args.anchor is not None else (None, [])
    report = verify_pack(pack, key, anchors=anchors, now=SystemClock().now(),
                         min_retention_days=args.min_retention_days or 1)
    report.problems[:0] = unreadable  # as in `audit verify`: an unreadable line may be the one that contradicts it
    label = (pack.get("incident") or {}).get("label", "?")
    print(f"{label}: {'verified' if report.ok else 'NOT VERIFIED'}; {report.summary}")
    for problem in report.problems:
        print(f"  - {problem}")
    for note in report.notes:
        print(f"  note: {note}")
    return 0 if report.ok else 1
