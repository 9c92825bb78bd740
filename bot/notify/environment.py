"""The paging set-up from the environment: which methods are configured, with which secrets.

Read once at start by ``serve`` and ``scheduler``; every secret is removed from the environment after
reading (not left for libraries or child processes) and never logged.

=========================  ===========================================================================
``TWILIO_ACCOUNT_SID``      with ``TWILIO_AUTH_TOKEN`` and ``TWILIO_FROM_NUMBER``: SMS and calls
``TWILIO_API_URL``          a Twilio-compatible API elsewhere (default ``https://api.twilio.com``)
``SMTP_HOST``               with ``SMTP_FROM``: email; ``SMTP_PORT`` (25), ``SMTP_USERNAME``,
                            ``SMTP_PASSWORD``, ``SMTP_STARTTLS`` (``1`` to upgrade the connection)
``PAGING_PUBLIC_URL``       where Twilio and people reach the bot (webhooks, email links), e.g.
                            ``https://bot.example.org``
``PAGING_LINK_SECRET``      signs the acknowledgement links in emails (16 characters or more)
``WEB_LINK_SECRET``         with ``WEB_PUBLIC_URL`` and email: the status page's subscribers are mailed
                            (their links signed with it, a salt of their own; ``docs/managers.md``)
=========================  ===========================================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from bot.notify.links import LinkSigner


@dataclass
class PagingSetup:
    notifiers: dict[str, Any] = field(default_factory=dict)
    links: LinkSigner | None = None
    public_url: str = ""
    auth_token: str = field(default="", repr=False)  # Twilio's, for checking webhook signatures
    problems: list[str] = field(default_factory=list)
    status_url: str = ""  # WEB_PUBLIC_URL: the status page's subscribers are mailed when it and the secret are set
    status_secret: str = field(default="", repr=False)  # WEB_LINK_SECRET, for the subscribers' links

    @property
    def methods(self) -> list[str]:
        return sorted(self.notifiers)

    def dispatcher(self, store: Any, config: Callable[[], Any], clock: Any) -> Any:
        """The page steps' worker, and with email and the web view set up the status page's mails too."""
        from bot.notify.delivery import NotificationDispatcher

        pages = NotificationDispatcher(store, config, self.notifiers, clock, links=self.links,
                                       public_url=self.public_url)
        if "email" not in self.notifiers or not (self.status_url and self.status_secret):
            return pages
        from bot.notify.status_mail import StatusMailDispatcher
        from bot.notify.sweeps import Sweeps
        from bot.subscriptions.links import SubscriptionLinks

        status = StatusMailDispatcher(store, config, self.notifiers["email"], clock, public_url=self.status_url,
                                      links=SubscriptionLinks(self.status_secret, clock))
        return Sweeps(("", pages), ("status-mail-", status))

    def webhook_app(self, service: Any, config: Callable[[], Any]) -> Any:
        """The inbound webhooks, or None when neither Twilio nor email links are set up."""
        if not (self.auth_token or self.links) or not self.public_url:
            return None
        from bot.alerts.answers import AlertPages
        from bot.notify.inbound import Inbound
        from bot.notify.webhooks import create_app

        answers = AlertPages(service.ctx.store, config, service.ctx.clock, service)  # a page route's pages
        return create_app(Inbound(service, config, alert_pages=answers), auth_token=self.auth_token,
                          public_url=self.public_url, links=self.links)


def status_mail_ready(source: Mapping[str, str]) -> bool:
    """Whether the status page's subscribers can be mailed with these settings: an SMTP server and sender, the web
    view's public address (the links in the mails) and its link secret. The web view shows the subscribe form only
    then, and the scheduler sends the mails only then: the form never promises mail nobody sends."""
    from bot.subscriptions.links import MIN_SECRET

    return bool(source.get("SMTP_HOST") and source.get("SMTP_FROM")
                and (source.get("WEB_PUBLIC_URL") or "").startswith(("https://", "http://"))
                and len(source.get("WEB_LINK_SECRET") or "") >= MIN_SECRET)


def from_environment(env: Mapping[str, str] | None = None, *, pop: bool = True) -> PagingSetup:
    source: Any = os.environ if env is None else dict(env)
    take = source.pop if pop else source.get
    setup = PagingSetup(public_url=(source.get("PAGING_PUBLIC_URL") or "").rstrip("/"))
    sid, token = source.get("TWILIO_ACCOUNT_SID", ""), take("TWILIO_AUTH_TOKEN", "") or ""
    number = source.get("TWILIO_FROM_NUMBER", "")
    if sid or token or number:
        from bot.notify.twilio_rest import DEFAULT_API_URL, TwilioRest

        try:
            rest = TwilioRest(account_sid=sid, auth_token=token, from_number=number,
                              api_url=source.get("TWILIO_API_URL") or DEFAULT_API_URL, voice_url=setup.public_url)
            setup.notifiers |= {"sms": rest, "voice": rest}
            setup.auth_token = token
            if not setup.public_url:
                setup.problems.append("PAGING_PUBLIC_URL is not set: SMS replies and keypad answers cannot reach "
                                      "the bot, and calls have no keypad")
        except ValueError as exc:
            setup.problems.append(str(exc))
    if source.get("SMTP_HOST") or source.get("SMTP_FROM"):
        from bot.notify.smtp import SmtpMailer

        try:
            setup.notifiers["email"] = SmtpMailer(
                host=source.get("SMTP_HOST", ""), port=int(source.get("SMTP_PORT") or 25),
                sender=source.get("SMTP_FROM", ""), username=source.get("SMTP_USERNAME", ""),
                password=take("SMTP_PASSWORD", "") or "", starttls=source.get("SMTP_STARTTLS", "") in ("1", "true"))
        except ValueError as exc:
            setup.problems.append(str(exc))
    if "email" in setup.notifiers and status_mail_ready(source):
        setup.status_url = (source.get("WEB_PUBLIC_URL") or "").rstrip("/")
        setup.status_secret = source.get("WEB_LINK_SECRET") or ""  # the web view takes it out after reading it
    elif "email" in setup.notifiers and source.get("WEB_LINK_SECRET"):
        setup.problems.append("the status page's subscribers are not mailed: WEB_PUBLIC_URL must be the web view's "
                              "http(s) address and WEB_LINK_SECRET at least 16 characters")
    secret = take("PAGING_LINK_SECRET", "") or ""
    if secret:
        try:
            setup.links = LinkSigner(secret)
        except ValueError as exc:
            setup.problems.append(str(exc))
    elif "email" in setup.notifiers:
        setup.problems.append("PAGING_LINK_SECRET is not set: page emails go out without an acknowledgement link")
    return setup
