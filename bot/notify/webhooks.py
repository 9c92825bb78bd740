"""The inbound webhooks of the paging channels, as a small WSGI app (Flask), served beside the Slack app.

* ``POST /twilio/sms``: an SMS reply (``ack 17``, ``decline 17 <reason>``, ``help``); answered in TwiML.
* ``POST /twilio/voice/answer?page=17``: the page call was picked up; what it says is decided now (TwiML):
  the page's words and a keypad while it is still the callee's to take, else why not (acknowledged
  elsewhere while the phone rang, handed on, cancelled) and no keypad.
* ``POST /twilio/voice/gather?page=17``: the key pressed on a page call (1 ack, 2 decline); TwiML.
* ``POST /twilio/status``: a sent SMS's later status; ``failed``/``undelivered`` falls through to the next step.
* ``GET /page/ack?t=…``: the link in a page email shows what it will do and a button (mail scanners
  open links: a GET never changes anything); ``POST /page/ack`` does it.

Signatures first, before anything is read or changed: a Twilio request must carry a valid
``X-Twilio-Signature`` for the public URL it was sent to (``twilio``'s ``RequestValidator``, the auth
token from the environment), else 401; an email link must carry a valid, unexpired token (else 401).
Bodies over 16 KB get 413 saying so, the path and the limit (from :func:`webhook_server` while the body arrives,
before the app runs; from Flask when the app is served otherwise), a request without the fields it needs 400.  Replays are answered with the
first answer and change nothing (the service is keyed by the provider's message id).
"""

from __future__ import annotations

import html
import logging
from typing import Any
from xml.sax.saxutils import escape

from flask import Flask, Response, request
from twilio.request_validator import RequestValidator

from bot.body_limit import limited_server, over, plain
from bot.notify.inbound import Inbound
from bot.notify.links import LinkRefused, LinkSigner
from bot.notify.ports import mask

log = logging.getLogger(__name__)
MAX_BODY = 16 * 1024


def _twiml(text: str, *, voice: bool = False) -> Response:
    verb = "Say" if voice else "Message"
    return Response(f'<?xml version="1.0" encoding="UTF-8"?><Response><{verb}>{escape(text)}</{verb}></Response>',
                    mimetype="application/xml")


def _page(title: str, text: str, status: int = 200, form: str = "") -> Response:
    body = (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head>"
            f"<body><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}</body></html>")
    return Response(body, status=status, mimetype="text/html")


def webhook_server(app: Any, *, host: str, port: int, threads: int = 4) -> Any:
    """The waitress server ``serve`` runs the webhooks on (``.run()`` serves; ``port`` 0 picks a free one).  It
    refuses a body over :data:`MAX_BODY` with 413 while receiving it: by its ``Content-Length`` before a byte
    of it, a chunked one as it streams.  waitress's default limit is 1 GiB, taken (spilled to a temporary file)
    before the app could answer, on a port open to the internet for Twilio."""
    return limited_server(app, max_body=MAX_BODY, too_large=too_large, host=host, port=port, threads=threads,
                          ident="incident-bot-paging")


def too_large(path: str, limit: int = MAX_BODY) -> tuple[str, bytes]:
    """The 413 (content type, body), from the app or from :func:`webhook_server` while the body arrives."""
    return plain(f"{over(limit, path)}; a Twilio webhook or a page link's form is far smaller: check what sends "
                 "this")


def create_app(inbound: Inbound, *, auth_token: str, public_url: str, links: LinkSigner | None) -> Flask:
    """``public_url``: the address Twilio and people reach the bot at (what Twilio signs), e.g.
    ``https://bot.example.org``; ``auth_token``: ``TWILIO_AUTH_TOKEN``."""
    app = Flask("bot.notify.webhooks")
    app.config["MAX_CONTENT_LENGTH"] = MAX_BODY
    validator = RequestValidator(auth_token)
    public = public_url.rstrip("/")

    def signed_by_twilio() -> bool:
        url = public + request.full_path.rstrip("?") if request.query_string else public + request.path
        signature = request.headers.get("X-Twilio-Signature", "")
        return bool(signature) and validator.validate(url, request.form.to_dict(), signature)

    def refused(what: str) -> Response | None:
        """401 for a request Twilio did not sign for this URL (checked before anything is read), else None."""
        if signed_by_twilio():
            return None
        log.warning("refused %s without a valid X-Twilio-Signature", what)
        return Response("invalid or missing X-Twilio-Signature for this URL; nothing was changed", status=401)

    def call_page(what: str) -> tuple[int, Any] | Response:
        """A page call's webhook: (page id, form), or the 400 answer naming what is missing."""
        form = request.form
        page = request.args.get("page", "")
        if not page.isdigit() or not form.get("CallSid") or not form.get("To"):
            return Response(f"expected ?page=<id> and CallSid, To ({what})", status=400)
        return int(page), form

    @app.errorhandler(413)
    def _too_large(_: Any) -> Response:
        content_type, body = too_large(request.path)
        return Response(body, status=413, content_type=content_type)

    @app.post("/twilio/sms")
    def sms() -> Response:
        if (no := refused("an SMS webhook")) is not None:
            return no
        form = request.form
        if not form.get("From") or not form.get("MessageSid"):
            return Response("expected From and MessageSid (a Twilio incoming-message webhook)", status=400)
        reply = inbound.sms(from_phone=form["From"], body=form.get("Body", ""), message_id=form["MessageSid"])
        log.info("SMS reply from %s: %s", mask(form["From"]), "changed" if reply.changed else "nothing changed")
        return _twiml(reply.text)

    @app.post("/twilio/status")
    def status() -> Response:
        if (no := refused("a status callback")) is not None:
            return no
        form = request.form
        if not form.get("MessageSid") or not form.get("MessageStatus"):
            return Response("expected MessageSid and MessageStatus (a Twilio status callback)", status=400)
        done = inbound.delivery_status(message_id=form["MessageSid"], status=form["MessageStatus"],
                                       error_code=form.get("ErrorCode", ""))
        return Response(done, status=200, mimetype="text/plain")

    @app.post("/twilio/voice/answer")
    def answer() -> Response:
        if (no := refused("a voice webhook")) is not None:
            return no
        if isinstance(asked := call_page("Twilio asking what an answered call says"), Response):
            return asked
        page, form = asked
        script = inbound.call_answered(page_id=page, to_phone=form["To"])
        if not script.ask:
            return _twiml(script.text, voice=True)
        action = escape(f"{public}/twilio/voice/gather?page={page}", {'"': "&quot;"})
        return Response('<?xml version="1.0" encoding="UTF-8"?><Response>'
                        f'<Gather numDigits="1" timeout="10" action="{action}" method="POST">'
                        f"<Say>{escape(script.text)}</Say></Gather><Say>No answer received. Goodbye.</Say>"
                        "</Response>", mimetype="application/xml")

    @app.post("/twilio/voice/gather")
    def gather() -> Response:
        if (no := refused("a voice webhook")) is not None:
            return no
        if isinstance(asked := call_page("a Twilio <Gather> action"), Response):
            return asked
        page, form = asked
        reply = inbound.keypad(page_id=page, to_phone=form["To"], digits=form.get("Digits", ""),
                               call_id=form["CallSid"])
        return _twiml(reply.text, voice=True)

    def _claim() -> Any:
        if links is None:
            raise LinkRefused("acknowledgement links are not enabled here (PAGING_LINK_SECRET is not set)")
        token = request.values.get("t", "")
        if not token:
            raise LinkRefused("this link has no token; use the whole link from the email")
        return links.verify(token), token

    @app.get("/page/ack")
    def ack_link() -> Response:
        try:
            claim, token = _claim()
        except LinkRefused as exc:
            return _page("Link refused", str(exc), 401)
        verb = "Acknowledge" if claim.action == "ack" else "Decline"
        form = (f"<form method='post' action='{html.escape(public)}/page/ack'>"
                f"<input type='hidden' name='t' value='{html.escape(token)}'>"
                f"<button type='submit'>{verb} page {claim.page_id}</button></form>")
        return _page(f"{verb} page {claim.page_id}?", "Press the button to confirm.", 200, form)

    @app.post("/page/ack")
    def ack_link_post() -> Response:
        try:
            claim, _ = _claim()
        except LinkRefused as exc:
            return _page("Link refused", str(exc), 401)
        reply = inbound.link(claim)
        return _page("Done" if reply.changed else "Nothing changed", reply.text)

    return app
