"""``incident-bot init [DIR]``: write a complete, commented starting configuration to edit."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

# people.yaml holds names, Slack ids, leave and sickness: personal data, readable by its owner only.
PERSONAL = {Path("config/people.yaml")}

EDIT_FIRST = """\
Edit first:
  1. config/settings.yaml   organisation, incidents_channel (the feed channel), operations_channel (where
                            the bot says what failed outside any incident), admins (Slack user ids)
  2. config/people.yaml     your sites (time zone, public holidays, labor profile) and your people (Slack id,
                            working hours, leave); replace the example people
  3. config/rotas.yaml      rotations (participants, start, handoff), incident roles and their deputies,
                            escalation policies; move compliance.from to the first week you plan
  4. playbooks/*.yaml       per severity: whom to page (paging.target), which channels and people hear about
                            it (notifications), which regulations to consider
  5. config/labor/, config/regulations/   keep the labor profiles and regimes that apply to you, and have
                            counsel review them (they are reviewable data with citations, not legal advice)
Then:
  {check}      every error of every file, as file:line:col
  {drill}      a complete incident on your configuration, without Slack"""


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "init", help="write a complete, commented starting configuration to edit (config/ and playbooks/)",
        description="Write a complete, commented starting configuration into DIR: config/ (settings, people, "
                    "rotas, labor-law profiles, regulations, permissions) and playbooks/. It is the example "
                    "organisation of the documentation and the drill, passes `incident-bot check` as written, "
                    "and is meant to be edited. Never overwrites: DIR/config and DIR/playbooks must not exist "
                    "or be empty.")
    parser.add_argument("dir", nargs="?", default=".", metavar="DIR", help="where to write (default: here)")
    parser.set_defaults(func=run)


def _occupied(folder: Path) -> bool:
    return folder.exists() and (not folder.is_dir() or any(folder.iterdir()))


def _command(name: str, target: Path) -> str:
    shown = os.path.relpath(target)
    return f"incident-bot {name}" + ("" if shown == "." else f" --config-dir {Path(shown) / 'config'}")


def run(args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.config.example import example_files
    from bot.config.loader import ConfigPaths, collect

    target = Path(args.dir)
    taken = [str(target / name) for name in ("config", "playbooks") if _occupied(target / name)]
    if taken:
        print(f"{' and '.join(taken)} already exist{'s' if len(taken) == 1 else ''} and {'is' if len(taken) == 1 else 'are'} "
              "not empty; init never overwrites a configuration. Choose an empty folder: incident-bot init DIR",
              file=sys.stderr)
        return 2
    files = example_files()
    for source, relative in files:
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        destination.chmod(0o600 if relative in PERSONAL else 0o644)
    today = SystemClock().now().astimezone().date()  # checked exactly as `check` would check it today
    config, issues = collect(ConfigPaths(target / "config", target / "playbooks"), complete=True, today=today)
    if config is None:  # the example always passes check; anything else is a broken installation
        for issue in issues:
            print(issue, file=sys.stderr)
        print("the written configuration does not pass check: the installation is damaged; reinstall incident-bot",
              file=sys.stderr)
        return 1
    where = os.path.relpath(target)
    print(f"Wrote {len(files)} files to {where}: config/ (settings, people, rotas, labor profiles, regulations, "
          "permissions) and playbooks/.\nThey are the example organisation of the docs and pass "
          "`incident-bot check` as written; config/people.yaml is readable by you only (it holds personal data).\n")
    print(EDIT_FIRST.format(check=_command("check", target), drill=_command("drill", target)))
    return 0
