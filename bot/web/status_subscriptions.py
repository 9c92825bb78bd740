"""Email subscriptions on the public status page: the form, the confirmation and the unsubscribe pages.

``POST /status/subscribe`` (form field ``email``) asks for a confirmation mail: 202 whatever the address's
state (nobody learns who subscribed), 400 with what is wrong for something that is not an address, 413 for a
body over :data:`MAX_BODY`, 429 with ``Retry-After`` when the hourly cap over every address is reached.
``GET /status/confirm?t=`` and ``GET /status/unsubscribe?t=`` only show a button: mail scanners follow links,
and a link followed must neither subscribe nor unsubscribe anyone.  The button POSTs; so does a mail client's
one-click unsubscribe (RFC 8058: ``List-Unsubscribe=One-Click`` to the header's address).  Without email set up
(``SMTP_HOST``) there is no form and these routes answer 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, abort, request

from bot.pictures.document import render, stamp
from bot.subscriptions import subscribers
from bot.subscriptions.address import InvalidAddress
from bot.subscriptions.links import LinkRefused, SubscriptionLinks

MAX_BODY = 1024  # an address and a token: anything larger is not our form
ENDPOINTS = ("status.subscribe", "status.confirm_post", "status.unsubscribe_post")  # the only POSTs of the web view


@dataclass(frozen=True)
class Subscriptions:
    """What the routes need besides the web view's services: the signed links (``WEB_LINK_SECRET``)."""

    links: SubscriptionLinks


def add_subscription_routes(pages: Blueprint, services: Any) -> None:
    """The routes on the status page's blueprint (no login); ``services.subscriptions`` None: all 404."""

    def desk() -> Subscriptions:
        if getattr(services, "subscriptions", None) is None:
            abort(404)
        return services.subscriptions

    def answer(title: str, message: str, status: int = 200, *, form: str = "", token: str = "",
               button: str = "") -> Response:
        body = render("status_subscription.html", title=title, message=message, form=form, token=token,
                      button=button, root=request.script_root, generated=stamp(services.clock.now()))
        return Response(body, status=status, mimetype="text/html")

    def small_body() -> Response | None:
        """413 before the body is read when it is larger than the form could send (also when it streams in)."""
        if request.content_length is not None and request.content_length > MAX_BODY:
            return answer("Too large", f"Expected a form of at most {MAX_BODY} bytes, got {request.content_length}; "
                                       "send only the email address.", 413)
        request.max_content_length = MAX_BODY
        return None

    def field(name: str) -> str:
        try:
            return request.form.get(name, "") or request.args.get(name, "")
        except Exception as exc:  # a body streaming past the limit (werkzeug's 413)
            if getattr(exc, "code", None) == 413:
                abort(Response(f"Expected a form of at most {MAX_BODY} bytes; send only the email address.",
                               status=413, mimetype="text/plain"))
            raise

    @pages.post("/status/subscribe", endpoint="subscribe")
    def subscribe() -> Response:
        desk()
        refused = small_body()
        if refused is not None:
            return refused
        try:
            subscribers.subscribe(services.store, services.clock, field("email"),
                                  per_hour=services.config().settings.status_confirmations_per_hour)
        except InvalidAddress as exc:
            return answer("Not an email address", f"{exc}.", 400, form="subscribe")
        except subscribers.TooManyRequests as exc:
            response = answer("Please try again later", "We are receiving too many subscription requests right "
                              "now; please try again in an hour.", 429)
            response.headers["Retry-After"] = str(exc.retry_after)
            return response
        return answer("Check your inbox", "If this address can receive our updates, a mail with a confirmation "
                      "link is on its way. Open it within 24 hours and press the button to start receiving our "
                      "statements. Nothing is sent until then.", 202)

    def button_page(verify: Any, form: str, title: str, message: str, button: str) -> Response:
        """A link's GET: checks the link and shows the button that POSTs it; changes nothing."""
        token = request.args.get("t", "")
        try:
            verify(token)
        except LinkRefused as exc:
            return answer("This link does not work", f"{str(exc).capitalize()}.", 400)
        return answer(title, message, form=form, token=token, button=button)

    def pressed(act: Any, title: str, message: str) -> Response:
        """A link's POST (its button, or a mail client's one-click): ``act(token)`` does it."""
        refused = small_body()
        if refused is not None:
            return refused
        try:
            act(field("t"))
        except LinkRefused as exc:
            return answer("This link does not work", f"{str(exc).capitalize()}.", 400)
        return answer(title, message)

    @pages.get("/status/confirm", endpoint="confirm")
    def confirm_page() -> Response:
        return button_page(desk().links.confirmation, "confirm", "Confirm your subscription", "Press the button to "
                           "have our public statements about incidents emailed to you.", "Confirm subscription")

    @pages.post("/status/confirm", endpoint="confirm_post")
    def confirm() -> Response:
        links = desk().links
        return pressed(lambda token: subscribers.confirm(services.store, services.clock, links.confirmation(token)),
                       "Subscribed", "You will be emailed every statement we publish from now on. Every mail has a "
                       "link to unsubscribe.")

    @pages.get("/status/unsubscribe", endpoint="unsubscribe")
    def unsubscribe_page() -> Response:
        return button_page(desk().links.leaving, "unsubscribe", "Unsubscribe", "Press the button to stop receiving "
                           "our statements by email. Your address is deleted at once.", "Unsubscribe")

    @pages.post("/status/unsubscribe", endpoint="unsubscribe_post")
    def unsubscribe() -> Response:
        links = desk().links
        return pressed(lambda token: subscribers.unsubscribe(services.store, services.clock, links.leaving(token)),
                       "Unsubscribed", "You will get no more mail from our status page, and your address has been "
                       "deleted.")
