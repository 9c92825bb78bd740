"""Argument helpers shared by the commands: config location, instants, output."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Collection, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Iterator

from bot.clock import UTC
from bot.config.errors import ConfigIssue
from bot.config.loader import Config, ConfigPaths, collect


def add_config_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config-dir", metavar="DIR", help="configuration folder (default: ./config or $BOT_CONFIG_DIR)")
    parser.add_argument("--playbooks-dir", metavar="DIR", help="playbooks folder (default: playbooks/ beside the config folder)")


def config_paths(args: argparse.Namespace) -> ConfigPaths:
    return ConfigPaths.default(getattr(args, "config_dir", None), getattr(args, "playbooks_dir", None))


def print_issues(issues: list[ConfigIssue], stream: Any = None) -> None:
    out = stream or sys.stderr
    for issue in sorted(issues, key=lambda i: (i.file, i.line, i.column, i.message)):
        print(issue, file=out)


class ExitWith(SystemExit):
    pass


def load_or_exit(args: argparse.Namespace, *, complete: bool = False, kinds: tuple[str, ...] | None = None,
                 only: Mapping[str, Collection[str]] | None = None) -> Config:
    """Load the configuration; on errors print each as file:line:col and exit 2.
    ``complete``: also require the files a working bot needs (people, rotas, playbooks).
    ``kinds``, ``only``: only these kinds of file, and of a kind only these files
    (see :func:`bot.config.loader.collect`)."""
    config, issues = collect(config_paths(args), complete=complete, kinds=kinds, only=only)
    if config is None:
        print_issues([i for i in issues if i.severity == "error"])
        errors = sum(1 for i in issues if i.severity == "error")
        print(f"configuration invalid: {errors} error(s); fix them and run `incident-bot check` again", file=sys.stderr)
        raise ExitWith(2)
    return config


def parse_instant(text: str, *, what: str = "time") -> datetime:
    """An ISO 8601 instant that must carry a UTC offset (``Z`` or ``+01:00``)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f'{what}: expected ISO 8601 like "2026-12-25T02:00:00+01:00", got "{text}"') from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(
            f'{what}: "{text}" has no UTC offset; add one (e.g. "+01:00" or "Z") so the instant is unambiguous')
    return value.astimezone(UTC)


def instant_arg(text: str) -> datetime:
    return parse_instant(text)


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def parse_fact_args(values: list[str]) -> dict[str, Any]:
    """``--fact NAME=VALUE`` options as given (the text, or JSON for ``{..}``/``[..]``); ``residents.CA=600``
    nests. The values are read against each fact's declared type by the caller (:func:`check_fact_args`)."""
    facts: dict[str, Any] = {}
    for item in values:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name or not text.strip():
            raise argparse.ArgumentTypeError(f'--fact expects NAME=VALUE, got "{item}"')
        text = text.strip()
        value: Any = text
        if text[:1] in "[{":
            try:
                value = json.loads(text)
            except ValueError:
                raise argparse.ArgumentTypeError(f"--fact {name}: {text} is not valid JSON") from None
        head, _, rest = name.partition(".")
        if rest:
            nested = facts.setdefault(head, {})
            if not isinstance(nested, dict):
                raise argparse.ArgumentTypeError(f"--fact {name}: {head} was already given as a single value")
            nested[rest] = value
        else:
            facts[name] = value
    return facts


@contextmanager
def migrated_store() -> Iterator[Any]:
    """The database in ``DATABASE_URL`` (default: the local SQLite file), brought up to date, disposed after use."""
    from bot.store import migrate
    from bot.store.database import Store

    store = Store.connect()
    try:
        migrate.upgrade(store.engine)
        yield store
    finally:
        store.dispose()


def check_fact_args(config: Config, values: list[str]) -> dict[str, Any]:
    """``--fact`` options read against the catalog's fact types; an unknown name or a value of the wrong type
    raises :class:`argparse.ArgumentTypeError` with the allowed values and a "did you mean"."""
    from bot.deadlines.catalog import fact_types
    from bot.deadlines.fact_types import FactValueError, check_facts

    try:
        return check_facts(fact_types(config), parse_fact_args(values), where="--fact ")
    except FactValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def period_bound(text: str, zone: str, *, what: str) -> datetime:
    """``--from`` / ``--to``: a day (``2027-03-01``: its midnight in ``zone``) or an instant with an offset."""
    from datetime import date, time

    from bot.oncall.wallclock import local_to_utc

    try:
        return local_to_utc(date.fromisoformat(text.strip()), time(0, 0), zone)
    except ValueError:
        pass
    try:
        return parse_instant(text, what=what)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f'{what}: expected a day like "2027-03-01" (midnight in {zone}) or an '
                                         f'instant like "2027-03-01T00:00:00+01:00", got "{text}"') from None


def add_period_args(parser: argparse.ArgumentParser) -> None:
    """``--from`` and ``--to`` of a reporting period (see :func:`period_bounds`)."""
    parser.add_argument("--from", dest="start", required=True, metavar="DAY|ISO8601", help="start of the period")
    parser.add_argument("--to", dest="end", required=True, metavar="DAY|ISO8601", help="end of the period (excluded)")


def period_bounds(args: argparse.Namespace, zone: str) -> tuple[datetime, datetime]:
    """The period ``--from``/``--to`` name, a day's midnight read in ``zone``."""
    return period_bound(args.start, zone, what="--from"), period_bound(args.end, zone, what="--to")


def retention_days_arg(text: str) -> int:
    """``--min-retention-days``: a whole number of days, at least 1 (as ``retention_days`` in settings.yaml)."""
    try:
        days = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number of days like 365, got {text!r}") from None
    if not 1 <= days <= 36_500:
        raise argparse.ArgumentTypeError(f"expected 1 to 36500 days (as retention_days in settings.yaml), got {days}")
    return days


def add_min_retention_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--min-retention-days", type=retention_days_arg, metavar="DAYS",
                        help="the shortest retention period a purge may claim: a redaction dated earlier after the "
                             "incident's close (or, outside incidents, after the event) is reported as forged "
                             "(default: retention_days in config/settings.yaml; give the shortest value it had since "
                             "the oldest purge if it was raised since)")


def min_retention_days(args: argparse.Namespace) -> int:
    """``--min-retention-days``, else the configured ``retention_days``; 1 (what the purge events recorded is then
    all that counts) when the settings cannot be read, said on standard error."""
    if getattr(args, "min_retention_days", None) is not None:
        return int(args.min_retention_days)
    config, _issues = collect(config_paths(args), kinds=("settings",))
    if config is None:
        print("configuration invalid: purges are judged by the retention period they recorded; fix it or give "
              "--min-retention-days", file=sys.stderr)
        return 1
    return int(config.settings.retention_days)
