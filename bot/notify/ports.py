"""The notifier port: what the delivery worker asks of an SMS, voice or email provider.

One adapter per method (``bot/notify/twilio_rest.py`` for SMS and voice, ``bot/notify/smtp.py`` for
email); the core never imports them.  ``send`` takes an :class:`Outgoing` whose ``ref`` is derived
from the notification's key: ``find_sent`` looks a message up by it after a crash between sending and
recording, so a recipient never gets the same step twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class Outgoing:
    method: str  # sms | voice | email
    to: str  # E.164 phone number or email address (personal data: never logged unmasked)
    ref: str  # stable reference of the notification step, e.g. "P17-2"; part of the text
    subject: str
    text: str  # SMS body, email body, or what the call says before the keypad menu
    page_id: int
    headers: tuple[tuple[str, str], ...] = ()  # more mail headers (List-Unsubscribe …); email only


class NotifyError(Exception):
    """A provider refused or could not be reached. ``transient``: trying again may work."""

    def __init__(self, message: str, *, transient: bool, code: str = "") -> None:
        super().__init__(message)
        self.transient = transient
        self.code = code


class NotifierPort(Protocol):
    def send(self, message: Outgoing) -> str:
        """Hand the message to the provider; returns the provider's id for it (Twilio SID, Message-ID)."""

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        """The provider's id of a message with ``message.ref`` sent to ``message.to`` since ``since``, or None
        (``None`` also when the provider cannot be asked: then the step may be sent again)."""


def mask(address: str) -> str:
    """Personal data in logs and on the timeline: "+49151****678", "a***@example.org"."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return address[:6] + "****" + address[-3:] if len(address) > 9 else "****"


def masked_failure(exc: Exception, address: str) -> str:
    """A failure as stored and logged: a database error without its values (:mod:`bot.store.error_text`), and
    the number or address, which providers repeat in their errors, masked."""
    from bot.store.error_text import failure_text

    text = failure_text(exc)
    return text.replace(address, mask(address)) if address else text
