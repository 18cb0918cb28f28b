"""Talking to the SMTP server: one connection per delivery run, TLS as configured, no leaked secrets."""

from __future__ import annotations

import contextlib
import smtplib
import ssl
from email.message import EmailMessage
from types import TracebackType

from models.settings import Settings

_ERROR_MAX = 500


class DeliveryError(Exception):
    """The SMTP server did not accept a message; the text is safe to store and show.

    `permanent`: the server refused this message or its recipient for good (5xx), so retrying
    cannot help. `uncertain`: the connection broke while the message was being handed over, so
    the server may have taken it: a retry must carry the same Message-ID.
    """

    def __init__(self, reason: str, *, permanent: bool = False, uncertain: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent
        self.uncertain = uncertain


def describe(error: BaseException, settings: Settings) -> str:
    """A one-line reason for a failed delivery, with the SMTP password masked wherever it appears."""
    if isinstance(error, smtplib.SMTPResponseException):
        text = f"{type(error).__name__}: {error.smtp_code} {_decode(error.smtp_error)}"
    elif isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = "; ".join(f"{to}: {code} {_decode(reply)}" for to, (code, reply) in error.recipients.items())
        text = f"{type(error).__name__}: {refused}"
    else:
        text = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    if settings.smtp_password and settings.smtp_password.get_secret_value():
        text = text.replace(settings.smtp_password.get_secret_value(), "***")
    text = " ".join(text.split())
    where = f"{settings.smtp_host}:{settings.smtp_port}"
    return f"{text} ({where})"[:_ERROR_MAX]


def is_permanent(error: smtplib.SMTPException) -> bool:
    """A 5xx refusal of this message (its data) or of its recipient. A refused sender or login
    (530, 535, 550 on MAIL FROM) is the server's settings, not the alert's: retried instead."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(code >= 500 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPDataError) and error.smtp_code >= 500


def _decode(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _connect(settings: Settings) -> smtplib.SMTP:
    host, port, timeout = settings.smtp_host or "", settings.smtp_port, settings.smtp_timeout_seconds
    client: smtplib.SMTP
    if settings.smtp_tls == "ssl":
        client = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(host, port, timeout=timeout)
    try:
        if settings.smtp_tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            password = settings.smtp_password.get_secret_value() if settings.smtp_password else ""
            client.login(settings.smtp_user, password)
    except BaseException:
        client.close()
        raise
    return client


class Mailer:
    """Sends messages over one SMTP connection, opened on first use and reopened once if it drops.

    When the server cannot be reached at all, later messages of the same run fail at once with the
    same reason instead of each waiting out the connect timeout.
    """

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: smtplib.SMTP | None = None
        self._unreachable: str | None = None

    def send(self, message: EmailMessage) -> None:
        """Return only once the server accepted `message` for its recipient; else `DeliveryError`."""
        if self._unreachable:
            raise DeliveryError(self._unreachable)
        reconnected = self._client is None
        try:
            client = self._open()
        except (smtplib.SMTPException, OSError) as error:
            self._unreachable = describe(error, self._settings)
            raise DeliveryError(self._unreachable) from None
        try:
            client.send_message(message)
        except smtplib.SMTPServerDisconnected:
            self._drop()
            if reconnected:
                raise DeliveryError("SMTP server closed the connection", uncertain=True) from None
            self.send(message)
        except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
            raise DeliveryError(describe(error, self._settings), permanent=is_permanent(error)) from None
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise DeliveryError(describe(error, self._settings), uncertain=True) from None

    def _open(self) -> smtplib.SMTP:
        if self._client is None:
            self._client = _connect(self._settings)
        return self._client

    def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._client.quit()
            self._drop()

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()
