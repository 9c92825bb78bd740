"""Configuration versions on the global chain: which files a version hash stands for.

A decision records only the short stamp of its configuration version (hash,
git commit); the first time a version is used, :func:`record_version` puts a
``config.version`` event on the global chain with every file and its SHA-256,
the commit and the files that differ from it.  So an auditor can go from any
decision to the exact files, and the list itself cannot be changed unnoticed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from bot.audit.tables import TimelineEvent
from bot.audit.trail import CONFIG_VERSION, append_event
from bot.config.version import config_version

KIND = "config.version"


def recorded(session: Session, digest: str) -> bool:
    query = select(TimelineEvent.id).where(TimelineEvent.chain == "global", TimelineEvent.kind == KIND,
                                           TimelineEvent.data["hash"].as_string() == digest)  # type: ignore[index]
    return session.exec(query.limit(1)).first() is not None


def record_version(session: Session, config: Any, at: datetime) -> dict[str, Any]:
    """The stamp of ``config``'s version, after making sure the version is on the global chain."""
    version = config_version(config)
    if not recorded(session, version.digest):
        append_event(session, incident_id=None, actor="system", kind=KIND, at=at,
                     summary=f"{version.describe()} in force",
                     data=version.to_json())
    return version.stamp()


def decide_under(session: Session, config: Any, at: datetime) -> None:
    """The unit of work decides under ``config``: its version goes on the global chain (once) and every event the
    unit of work appends names it (``data["config_version"]``), so each decision cites the rules that made it."""
    session.info[CONFIG_VERSION] = record_version(session, config, at)


def versions_between(session: Session, start: datetime, end: datetime) -> list[TimelineEvent]:
    """``config.version`` events first recorded in [start, end), oldest first."""
    return list(session.exec(select(TimelineEvent).where(
        TimelineEvent.chain == "global", TimelineEvent.kind == KIND,
        TimelineEvent.at >= start, TimelineEvent.at < end).order_by(TimelineEvent.seq)).all())  # type: ignore[arg-type]
