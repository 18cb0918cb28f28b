"""Fixtures for the deal rules and alerts: a real SMTP server on a free port (or on a given one,
started mid-test), a port nothing listens on, and a small shop that seeds searches, listings and
what a scan observed."""

from __future__ import annotations

import asyncio
import email
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage
from email.policy import default as default_policy
from itertools import count
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword
from sqlmodel import Session, func, select

from models.settings import Settings, load_settings
from models.tables import Deal, Listing, ListingStatus, Notification, Search, SearchMatch
from scanner.appraisal.identity import identify
from scanner.appraisal.junk import classify
from scanner.appraisal.listing import candidate
from scanner.marketplaces.base import ListingData
from scanner.observed import ObservedListing

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


@dataclass
class Mailbox:
    """What the SMTP server accepted, parsed as the recipient's mail program would."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    delay_seconds: float = 0.0  # a slow server, so that concurrent deliveries overlap
    refused: dict[str, str] = field(default_factory=dict)  # recipient -> the reply refusing it (e.g. 550)
    # Called (in a thread) with each message once it is kept and before the server says so: a test
    # can stop the world right after the server took a message.
    on_accept: Callable[[EmailMessage], None] | None = None

    async def handle_RCPT(  # noqa: N802  (aiosmtpd calls it so)
        self, _server: Any, _session: Any, envelope: Envelope, address: str, _options: list[str]
    ) -> str:
        if address in self.refused:
            return self.refused[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Envelope) -> str:  # noqa: N802  (aiosmtpd calls it so)
        await asyncio.sleep(self.delay_seconds)
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=default_policy)
        self.messages.append(message)  # type: ignore[arg-type]
        self.envelopes.append((str(envelope.mail_from), list(envelope.rcpt_tos)))
        if self.on_accept is not None:
            await asyncio.to_thread(self.on_accept, message)  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


class FreePortController(Controller):
    """aiosmtpd's Controller, bound to port 0: the OS picks a free port, read back after start."""

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: Mailbox
    login: tuple[str, str] | None = None  # the user and password it requires, if any

    @property
    def messages(self) -> list[EmailMessage]:
        return self.mailbox.messages


def _start_smtp(
    login: tuple[str, str] | None = None, port: int = 0, **smtp_options: Any
) -> tuple[FreePortController, SmtpServer]:
    mailbox = Mailbox()
    controller = FreePortController(mailbox, hostname="127.0.0.1", port=port, **smtp_options)
    controller.start()
    return controller, SmtpServer("127.0.0.1", controller.port, mailbox, login)


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on a free local port that keeps every message it accepts."""
    controller, server = _start_smtp()
    yield server
    controller.stop()


@pytest.fixture
def smtp_server_with_login() -> Iterator[SmtpServer]:
    """Like `smtp_server`, but it accepts mail only after a login with `server.login`."""
    login = ("scout", "s3cret-pa55word")

    def authenticate(_server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> AuthResult:
        given = (data.login.decode(), data.password.decode()) if isinstance(data, LoginPassword) else None
        return AuthResult(success=given == login, handled=False)

    controller, server = _start_smtp(login, authenticator=authenticate, auth_required=True, auth_require_tls=False)
    yield server
    controller.stop()


StartSmtp = Callable[[int], SmtpServer]


@pytest.fixture
def start_smtp() -> Iterator[StartSmtp]:
    """`start_smtp(port)`: a real SMTP server on that port from now on (the mail server is back)."""
    controllers: list[FreePortController] = []

    def start(port: int) -> SmtpServer:
        controller, server = _start_smtp(port=port)
        controllers.append(controller)
        return server

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A local port that is held (so nobody else takes it) but refuses every connection."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def _smtp_settings(port: int | None, **overrides: Any) -> Settings:
    """Settings for a plain local SMTP server on `port` (None: SMTP not configured)."""
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1" if port else None,
        "smtp_port": port or 587,
        "smtp_tls": "none",
        "smtp_from": "Deal Scout <alerts@scout.example>",
        "smtp_timeout_seconds": 5,
        "market_min_samples": 3,
        "market_window_days": 30,
    }
    return load_settings(**{**values, **overrides})


MakeSettings = Callable[..., Settings]


@pytest.fixture
def make_settings() -> MakeSettings:
    """`make_settings(port, **overrides)`: settings for the local SMTP server on `port`."""
    return _smtp_settings


@pytest.fixture
def settings() -> Settings:
    """Rule settings without SMTP: three samples make a market price."""
    return _smtp_settings(None)


@pytest.fixture
def now() -> datetime:
    return NOW


class Shop:
    """Seeds what earlier scans left behind and builds what the current scan observed."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._numbers = count(1)

    def search(self, **fields: Any) -> Search:
        values: dict[str, Any] = {
            "name": "Switch OLED",
            "query": "nintendo switch oled",
            "marketplaces": ["demo"],
            "alert_recipients": ["ana@example.com"],
            "currency": "USD",
        }
        search = Search(**{**values, **fields}, created_at=NOW, updated_at=NOW, next_scan_at=NOW)
        self.session.add(search)
        self.session.commit()
        return search

    def listing(
        self,
        search: Search | None,
        price: str | None,
        *,
        shipping: str | None = None,
        currency: str | None = "USD",
        title: str | None = None,
        status: ListingStatus = ListingStatus.ACTIVE,
        seen: datetime = NOW,
        url: str | None = None,
        image_url: str | None = None,
        location: str | None = "Austin, TX",
    ) -> Listing:
        """A listing as stored by earlier scans, matched by `search` (when given)."""
        number = next(self._numbers)
        title = title or "Nintendo Switch OLED console"
        listing = Listing(
            marketplace="demo",
            external_id=f"item-{number}",
            title=title,
            product_key=identify(title).key,
            url=url or f"https://demo.example/items/{number}",
            image_url=image_url or f"https://demo.example/img/{number}.jpg",
            price=Decimal(price) if price is not None else None,
            shipping=Decimal(shipping) if shipping is not None else None,
            currency=currency,
            location=location,
            status=status,
            first_seen_at=seen,
            last_seen_at=seen,
        )
        self.session.add(listing)
        self.session.flush()
        if search is not None:
            self.session.add(SearchMatch(search_id=search.id, listing_id=listing.id, first_matched_at=seen))
        self.session.commit()
        return listing

    def history(self, search: Search, *prices: str, **options: Any) -> list[Listing]:
        return [self.listing(search, price, **options) for price in prices]

    @staticmethod
    def observe(
        listing: Listing,
        *,
        query: str = "nintendo switch oled",
        is_new_match: bool = False,
        previous_total: str | None = None,
        **changes: Any,
    ) -> ObservedListing:
        """What this scan saw of `listing` (its stored fields, changed by `changes`)."""
        data: dict[str, Any] = {
            "external_id": listing.external_id,
            "title": listing.title,
            "url": listing.url,
            "price": listing.price,
            "currency": listing.currency,
            "image_url": listing.image_url,
            "location": listing.location,
            "shipping": listing.shipping,
            "status": "active",
        }
        data.update(changes)
        seen = ListingData(**data)
        return ObservedListing(
            listing_id=listing.id,  # type: ignore[arg-type]
            marketplace=listing.marketplace,
            data=seen,
            candidate=candidate(seen, listing.id, classify(seen, query).for_search),  # type: ignore[arg-type]
            is_new_match=is_new_match,
            previous_total=Decimal(previous_total) if previous_total is not None else None,
        )


@pytest.fixture
def shop(session: Session) -> Shop:
    return Shop(session)


CountRows = Callable[[Session, type[Deal] | type[Notification]], int]


@pytest.fixture
def count_rows() -> CountRows:
    """`count_rows(session, Deal)`: how many rows the table has."""

    def count_rows(session: Session, table: type[Deal] | type[Notification]) -> int:
        return session.exec(select(func.count()).select_from(table)).one()

    return count_rows
