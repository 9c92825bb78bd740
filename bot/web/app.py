"""The web view as a Flask application (routing, requests and responses by Flask; pages by bot.pictures).

Mounted by the HTTP transport under ``/web`` on the Slack app's port.  Every
route is read-only (GET/HEAD; anything else is 405) but the status page's subscription forms
(``bot/web/status_subscriptions.py``).  ``/login?t=TOKEN`` checks
the signed link and keeps the token in an HttpOnly, SameSite=Strict cookie (Secure
when ``WEB_PUBLIC_URL`` is https) for the link's lifetime; every later request
checks it again (so a revoked link stops working at once).  Responses forbid framing, scripts and caching, and
send no Referer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Callable

from flask import Flask, Response, abort, g, redirect, request

from bot.clock import Clock
from bot.pictures.document import render, stamp
from bot.web.access import may_see_report
from bot.web.calendar_links import BLUEPRINT as CALENDAR, calendar_feeds
from bot.web.links import LinkRefused, WebLinks
from bot.web.status_page import BLUEPRINT as PUBLIC, status_pages
from bot.web.status_subscriptions import ENDPOINTS as POSTS
from bot.web.viewmodels import display_name, duty_rows, on_call_rows, viewer_zone, when

COOKIE = "ib_web"
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@dataclass
class WebServices:
    incidents: Any  # bot.incidents.service.IncidentService
    config: Callable[[], Any]
    clock: Clock
    links: WebLinks
    store: Any
    subscriptions: Any = None  # bot.web.status_subscriptions.Subscriptions when email is set up


def create_app(services: WebServices) -> Flask:
    app = Flask("bot.web")
    app.config.update(MAX_CONTENT_LENGTH=4096)  # nothing is ever posted here

    def nav(current: str) -> list[tuple[str, str, bool]]:
        root = request.script_root
        items = [("", "On call"), ("incidents", "Incidents"), ("duties", "Legal duties")]
        if may_see_report(g.config, g.viewer.user):
            items.append(("report", "Report"))
        return [(f"{root}/{path}", label, path == current) for path, label in items]

    def page(template: str, current: str, **context: Any) -> Response:
        viewer = display_name(g.config, g.viewer.user)  # the person's name from people.yaml, not the Slack id
        context.setdefault("generated", f"{stamp(services.clock.now())}; signed in as {viewer}, link valid "
                                        f"until {when(g.viewer.expires_at, g.zone)}")
        return Response(render(template, nav=nav(current), root=request.script_root, zone=g.zone, **context),
                        mimetype="text/html")

    @app.after_request
    def harden(response: Response) -> Response:
        response.headers.update(SECURITY_HEADERS)
        return response

    @app.before_request
    def authenticate() -> Response | None:
        if request.method not in ("GET", "HEAD") and request.endpoint not in POSTS:  # the status page's forms
            abort(405)
        if request.endpoint == "login" or request.blueprint in (PUBLIC, CALENDAR):  # public; a calendar token
            return None
        token = request.cookies.get(COOKIE, "")
        if not token:
            return refused("Open the web view with the personal link from /oncall web in Slack.", 401)
        try:
            g.viewer = services.links.check(token)
        except LinkRefused as exc:
            return refused(exc.reason, 401)
        g.config = services.config()
        g.zone = viewer_zone(g.config, g.viewer.user)
        return None

    def refused(reason: str, status: int) -> Response:
        body = render("web_refused.html", title="The web view needs a valid link", reason=reason, generated="")
        response = Response(body, status=status, mimetype="text/html")
        response.delete_cookie(COOKIE, path=request.script_root or "/")
        return response

    app.register_blueprint(status_pages(services))
    app.register_blueprint(calendar_feeds(services))

    @app.get("/login", endpoint="login")
    def login() -> Response:
        token = request.args.get("t", "")
        try:
            viewer = services.links.check(token)
        except LinkRefused as exc:
            return refused(exc.reason, 401)
        target = request.args.get("next", "/")
        if not target.startswith("/") or target.startswith("//") or "\\" in target or any(c < " " for c in target):
            target = "/"  # only a page of this view: never an open redirect, nor a line break in the header
        response = redirect(f"{request.script_root}{target}", code=303)
        lifetime = int((viewer.expires_at - services.clock.now()).total_seconds())
        # TLS usually ends at the reverse proxy, so the request itself looks like plain HTTP: WEB_PUBLIC_URL decides
        secure = request.is_secure or services.links.base_url.startswith("https://")
        response.set_cookie(COOKIE, token, max_age=max(lifetime, 0), httponly=True, samesite="Strict",
                            secure=secure, path=request.script_root or "/")
        return response

    @app.get("/")
    def home() -> Response:
        now = services.clock.now()
        return page("web_home.html", "", title="Who is on call", rows=on_call_rows(g.config, now, g.zone),
                    now=when(now, g.zone), rotations=sorted(g.config.one("rotas").rotations, key=lambda r: r.id)
                    if g.config.one("rotas") else [])

    @app.get("/rota/<rotation>")
    def rota(rotation: str) -> Response:
        from bot.pictures.rota_page import month_preview_page

        month = request.args.get("month") or services.clock.now().date().strftime("%Y-%m")
        try:
            first = date.fromisoformat(f"{month}-01")
        except ValueError:
            abort(400, f'expected month=YYYY-MM, got "{month}"')
        try:
            body = month_preview_page(g.config, first, rotation, generated_at=services.clock.now(), nav=nav(""))
        except KeyError:
            abort(404)
        return Response(body, mimetype="text/html")

    @app.get("/incidents")
    def incidents() -> Response:
        rows = services.incidents.open_incidents(reader=g.viewer.user)
        return page("web_incidents.html", "incidents", title="Open incidents", incidents=rows,
                    declared={i.number: when(i.declared_at, g.zone) for i in rows})

    @app.get("/incidents/<int:number>")
    def incident(number: int) -> Response:
        if not services.incidents.may_read(number, g.viewer.user):
            abort(404)
        view = services.incidents.get(number, reader=g.viewer.user)
        events = services.incidents.timeline(number, reader=g.viewer.user)
        from bot.web.evidence import chain_verdict
        from bot.web.viewmodels import timeline_rows

        everything = request.args.get("all") == "1"  # only 1 asks for the record keeping too; anything else: not
        return page("web_incident.html", "incidents", title=f"{view.label} {view.title}", incident=view,
                    timeline=timeline_rows(g.config, events, g.zone, everything=everything),
                    verdict=chain_verdict(services, number),
                    duties=duty_rows(services.incidents.obligations(number, reader=g.viewer.user), view, g.zone,
                                     services.clock.now()),
                    roles=[(r.title, display_name(g.config, r.user)) for r in view.roles],
                    declared=when(view.declared_at, g.zone), resolved=when(view.resolved_at, g.zone),
                    closed=when(view.closed_at, g.zone))

    @app.get("/duties")
    def duties() -> Response:
        rows = []
        now = services.clock.now()
        for view in services.incidents.open_incidents(reader=g.viewer.user):
            rows += duty_rows(services.incidents.obligations(view.number, reader=g.viewer.user), view, g.zone, now)
        return page("web_duties.html", "duties", title="Legal duties of open incidents", duties=rows)

    @app.get("/report")
    def report() -> Response:
        from bot.web.evidence import report_for

        if not may_see_report(g.config, g.viewer.user):
            abort(404)
        today = services.clock.now().date()
        try:
            first = date.fromisoformat(request.args.get("from") or today.replace(day=1).isoformat())
            last = date.fromisoformat(request.args.get("to") or today.isoformat())
        except ValueError:
            abort(400, "expected from=YYYY-MM-DD and to=YYYY-MM-DD")
        if last < first or last - first > timedelta(days=366):
            abort(400, "expected to on or after from, at most a year apart")
        return Response(report_for(services, g.config, first, last, nav=nav("report")), mimetype="text/html")

    @app.get("/incidents/<int:number>/evidence.<fmt>")
    def evidence(number: int, fmt: str) -> Response:
        from bot.web.evidence import MIMETYPES, download

        if fmt not in ("json", "md", "html"):
            abort(404)
        if not services.incidents.may_read(number, g.viewer.user):
            abort(404)
        if request.method == "HEAD":  # no pack leaves: nothing to record on the chain
            body, mimetype = "", MIMETYPES[fmt]
        else:
            body, mimetype = download(services, number, fmt, viewer=g.viewer.user, via=g.viewer.link)
        response = Response(body, mimetype=mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="INC-{number}-evidence.{fmt}"'
        return response

    @app.errorhandler(400)
    @app.errorhandler(404)
    @app.errorhandler(405)
    def plain_error(error: Any) -> Response:
        text = {404: "Not found (or not yours to see).", 405: "The web view is read-only."}.get(error.code, error.description)
        return Response(json.dumps({"error": text}) if request.path.endswith(".json") else text,
                        status=error.code, mimetype="text/plain")

    return app
