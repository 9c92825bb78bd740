"""The public status page: ``/status`` (HTML), ``/status.json`` and ``/status.atom``, with no login.

Derived from the incidents' chains: every ``statement.published`` event (the exact text a second person signed off,
:mod:`bot.incidents.statements`), never the ``public_statement`` rows, so a row changed by hand changes nothing
here, and an event changed by hand after publication (it no longer matches its own hash) shows neither its text
nor its status, only that it is withheld. Nothing internal is shown: no incident number, title, channel, severity, people or facts. An incident appears
only once it has a published statement, under an id made from the hash of its first one; each statement shows its
status, text, time (UTC) and the hash of its event, which an auditor can look up on the chain.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, request

from bot.clock import ensure_utc
from bot.pictures.document import render, stamp
from bot.web.status_subscriptions import add_subscription_routes

BLUEPRINT = "status"
# A statement whose event no longer matches its seal (its text or status changed in the database after publication):
# neither is shown, the record's hash still is.
UNVERIFIED = "unverified"
WITHHELD = ("This statement no longer matches its audit record and is withheld until the record has been checked.")
ATOM = "http://www.w3.org/2005/Atom"


@dataclass(frozen=True)
class Entry:
    status: str
    text: str
    at: str  # ISO 8601, UTC, to the second
    shown_at: str  # 2026-03-02 09:00 UTC
    hash: str


@dataclass(frozen=True)
class PublicIncident:
    id: str  # the first 12 hex digits of its first published statement's event hash
    status: str  # the latest statement's
    updated: str  # ISO 8601, UTC
    statements: tuple[Entry, ...]  # newest first


def _iso(at: datetime) -> str:
    return ensure_utc(at).isoformat(timespec="seconds").replace("+00:00", "Z")


def public_incidents(published: list[Any]) -> list[PublicIncident]:
    """``published`` (oldest first, :func:`bot.incidents.statements.published`) grouped by incident; the incident
    with the newest statement first, each one's statements newest first."""
    grouped: dict[int, list[Any]] = {}
    for statement in published:
        grouped.setdefault(statement.incident_id, []).append(statement)
    found = []
    for statements in grouped.values():
        entries = tuple(Entry(s.status, s.text, _iso(s.at), stamp(s.at), s.hash) if s.sealed
                        else Entry(UNVERIFIED, WITHHELD, _iso(s.at), stamp(s.at), s.hash) for s in reversed(statements))
        found.append(PublicIncident(statements[0].hash[:12], entries[0].status, entries[0].at, entries))
    return sorted(found, key=lambda i: i.updated, reverse=True)


def as_json(incidents: list[PublicIncident], generated: datetime) -> str:
    return json.dumps({"generated_at": _iso(generated), "incidents": [
        {"id": i.id, "status": i.status, "updated_at": i.updated,
         "statements": [{"status": e.status, "text": e.text, "published_at": e.at, "event_hash": e.hash}
                        for e in i.statements]} for i in incidents]}, indent=2, ensure_ascii=False)


def as_atom(incidents: list[PublicIncident], generated: datetime, page: str) -> bytes:
    """One entry per published statement, newest first; ``page``: the HTML page's address."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    entries = sorted(((i, e) for i in incidents for e in i.statements), key=lambda p: p[1].at, reverse=True)
    ET.SubElement(feed, f"{{{ATOM}}}id").text = "urn:incident-bot:status"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "Status"
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = entries[0][1].at if entries else _iso(generated)
    ET.SubElement(feed, f"{{{ATOM}}}link", href=page)
    ET.SubElement(ET.SubElement(feed, f"{{{ATOM}}}author"), f"{{{ATOM}}}name").text = "incident-bot"
    for incident, e in entries:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        ET.SubElement(entry, f"{{{ATOM}}}id").text = f"urn:incident-bot:statement:{e.hash}"
        ET.SubElement(entry, f"{{{ATOM}}}title").text = f"{e.status.capitalize()} (incident {incident.id})"
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = e.at
        ET.SubElement(entry, f"{{{ATOM}}}link", href=f"{page}#i-{incident.id}")
        ET.SubElement(entry, f"{{{ATOM}}}content", type="text").text = e.text
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def status_pages(services: Any) -> Blueprint:
    """The routes, with ``services`` (:class:`bot.web.app.WebServices`): its incident service's reads only."""
    pages = Blueprint(BLUEPRINT, __name__)

    def current() -> tuple[list[PublicIncident], datetime]:
        return public_incidents(services.incidents.published_statements()), services.clock.now()

    @pages.get("/status")
    def page() -> Response:
        incidents, now = current()
        return Response(render("status_page.html", title="Status", incidents=incidents, generated=stamp(now),
                               subscribe=getattr(services, "subscriptions", None) is not None,
                               root=request.script_root), mimetype="text/html")

    @pages.get("/status.json")
    def page_json() -> Response:
        incidents, now = current()
        return Response(as_json(incidents, now), mimetype="application/json")

    @pages.get("/status.atom")
    def page_atom() -> Response:
        incidents, now = current()
        return Response(as_atom(incidents, now, f"{request.host_url.rstrip('/')}{request.script_root}/status"),
                        mimetype="application/atom+xml")

    add_subscription_routes(pages, services)
    return pages
