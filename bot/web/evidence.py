"""Evidence downloads (each written on the incident's audit chain first), the chain's verdict, the report page."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlmodel import select

from bot.audit.export import evidence_pack, render_markdown
from bot.audit.config_versions import decide_under
from bot.audit.trail import append_event, verify_chain
from bot.clock import ensure_utc
from bot.incidents.tables import Incident

MIMETYPES = {"json": "application/json", "md": "text/markdown", "html": "text/html"}


def _incident_id(session, number: int) -> int:
    row = session.exec(select(Incident.id).where(Incident.number == number)).first()
    if row is None:
        raise LookupError(f"there is no incident INC-{number}")
    return row


def chain_verdict(services, number: int) -> Any:
    """The chain's own check, its purges judged by the configured retention period and the clock."""
    with services.store.session() as s:
        return verify_chain(s, _incident_id(s, number), now=services.clock.now(),
                            min_retention_days=services.config().settings.retention_days)


def download(services, number: int, fmt: str, *, viewer: str, via: str) -> tuple[str, str]:
    """The evidence pack as ``fmt``, after recording on the incident's chain who downloaded it, when and how.

    The record and the pack are made in one unit of work, so the pack a person gets already holds the
    record of their own download, and no pack leaves without it. The record names the configuration version
    that let the viewer read the incident (``read_private``, admins, auditors), put on the global chain.
    """
    now = ensure_utc(services.clock.now())
    with services.store.session() as s:
        decide_under(s, services.config(), now)
        append_event(s, incident_id=_incident_id(s, number), actor=viewer, kind="evidence.downloaded", at=now,
                     summary=f"evidence pack downloaded as {fmt} from the web view by {viewer}",
                     data={"format": fmt, "via": "web", "link": via})
        s.flush()
        pack = evidence_pack(s, number, now=now, min_retention_days=services.config().settings.retention_days)
    if fmt == "json":
        return json.dumps(pack, indent=2, ensure_ascii=False, default=str) + "\n", MIMETYPES[fmt]
    if fmt == "md":
        return render_markdown(pack) + "\n", MIMETYPES[fmt]
    from bot.pictures.evidence_page import evidence_page

    return evidence_page(pack), MIMETYPES[fmt]


def report_for(services, config, first: date, last: date, *, nav: list | None = None) -> str:
    from bot.pictures.report_page import report_page
    from bot.reports.oncall_report import build_report

    with services.store.session() as s:
        report = build_report(config, s, first, last, now=services.clock.now())
    return report_page(report, nav=nav)
