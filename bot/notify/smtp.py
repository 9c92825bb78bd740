"""Email over SMTP (any server: the organisation's relay, a provider's SMTP endpoint).

Host, port, sender and credentials come from the environment (``SMTP_HOST``, ``SMTP_PORT``,
``SMTP_FROM``, ``SMTP_USERNAME``, ``SMTP_PASSWORD``, ``SMTP_STARTTLS``); the password is never logged.
The Message-ID is derived from the step's reference, so a message sent again after a crash between
handing it over and recording it is the same message (mail clients show one).  SMTP cannot be asked
what it delivered: :meth:`find_sent` answers None and the step is sent again (at least once, the same
Message-ID).
"""

from __future__ import annotations

import smtplib
import socket
from datetime import datetime
from email.message import EmailMessage

from bot.notify.ports import NotifyError, Outgoing


class SmtpMailer:
    def __init__(self, *, host: str, port: int = 25, sender: str, username: str = "", password: str = "",
                 starttls: bool = False, timeout: float = 10.0) -> None:
        if not host or not sender:
            raise ValueError("expected SMTP_HOST and SMTP_FROM, got one missing")
        self.host, self.port, self.sender = host, port, sender
        self._username, self._password = username, password
        self.starttls, self.timeout = starttls, timeout

    def __repr__(self) -> str:  # never the password
        return f"SmtpMailer({self.host}:{self.port})"

    def compose(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        domain = self.sender.rpartition("@")[2] or "localhost"
        mail["Message-ID"] = f"<{message.ref}.page@{domain}>"
        mail["X-Page-Ref"] = message.ref
        for name, value in message.headers:
            mail[name] = value
        mail.set_content(message.text)
        return mail

    def send(self, message: Outgoing) -> str:
        mail = self.compose(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self._username:
                    smtp.login(self._username, self._password)
                smtp.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            raise NotifyError(f"the mail server refused the recipient: {list(exc.recipients.values())[0]}",
                              transient=False) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise NotifyError(f"the mail server refused the login ({exc.smtp_code})", transient=False) from None
        except smtplib.SMTPResponseException as exc:
            raise NotifyError(f"the mail server answered {exc.smtp_code}: {exc.smtp_error!r}",
                              transient=exc.smtp_code < 500) from None
        except (smtplib.SMTPException, socket.error, TimeoutError) as exc:
            raise NotifyError(f"the mail server is unreachable: {exc}", transient=True) from None
        return str(mail["Message-ID"])

    def find_sent(self, message: Outgoing, since: datetime) -> str | None:
        return None
