"""The demo market's HTTP server: the standard library's threading server, nothing to install.

`DemoMarket` serves the catalogue at the time its clock says, plus listings posted to it
(`post`: a deal that appears when a test or the bench wants it), counts requests per path (tests
check how often a scan called), and misbehaves on request — per request with `fail=` and
`latency_ms=`, or for a fraction of search requests chosen at start — so retries, the circuit
breaker and the parser's markup checks can be watched without a real site.
"""

from __future__ import annotations

import logging
import random
import re
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, get_args
from urllib.parse import parse_qs, urlsplit

from demo_market import catalogue, pages, pictures
from demo_market.families import CATEGORIES
from models.tables import Condition
from models.types import utcnow

FailMode = Literal["429", "500", "timeout", "truncate", "markup"]
FAIL_MODES: tuple[str, ...] = get_args(FailMode)

log = logging.getLogger(__name__)

_ITEM = re.compile(r"^/item/([^/]+)$")
_PICTURE = re.compile(r"^/img/([^/]+)\.svg$")
_HTML = "text/html; charset=utf-8"


class BadRequestError(ValueError):
    """A query parameter the market cannot use; answered with 400."""


@dataclass
class Response:
    """What to answer a request with, and how (late, cut short)."""

    status: int
    body: str
    content_type: str = _HTML
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    truncate: bool = False  # send only the first half of the body


class DemoMarket:
    """A local marketplace on `host:port` (port 0 picks a free one; see `url` after creation).

    `clock` returns the aware "now" the catalogue is shown at; `latency` (seconds) delays every
    search; `fail_rate` of search requests fail with `fail_mode`; a `timeout` failure holds the
    answer for `hang_seconds`, and a 429 asks the client to come back after `retry_after` seconds.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        clock: Callable[[], datetime] = utcnow,
        seed: int = 0,
        latency: float = 0.0,
        fail_rate: float = 0.0,
        fail_mode: FailMode | None = None,
        hang_seconds: float = 60.0,
        retry_after: int = 5,
        per_page: int = pages.PER_PAGE,
    ) -> None:
        if not 0 <= fail_rate <= 1:
            raise ValueError("fail_rate must be between 0 and 1")
        if fail_mode is not None and fail_mode not in FAIL_MODES:
            raise ValueError(f"fail_mode must be one of {', '.join(FAIL_MODES)}")
        if fail_rate and fail_mode is None:
            raise ValueError("a fail_rate needs a fail_mode")
        if latency < 0 or hang_seconds < 0 or per_page < 1:
            raise ValueError("latency and hang_seconds cannot be negative, per_page must be positive")
        self.clock = clock
        self.seed = seed
        self.latency = latency
        self.fail_rate = fail_rate
        self.fail_mode = fail_mode
        self.hang_seconds = hang_seconds
        self.retry_after = retry_after
        self.per_page = per_page
        self._hits: Counter[str] = Counter()
        self._posted: dict[str, catalogue.DemoListing] = {}
        self._lock = threading.Lock()
        self._failures = random.Random(seed)
        self._stopping = threading.Event()
        self._serving = False
        self._thread: threading.Thread | None = None
        self._server = _Server((host, port), _Handler, self)

    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    def start(self) -> str:
        """Serve from a background thread; returns the base URL."""
        self._serving = True
        self._thread = threading.Thread(target=self.serve_forever, name="demo-market", daemon=True)
        self._thread.start()
        return self.url

    def serve_forever(self) -> None:
        """Serve from this thread until `stop()` or Ctrl-C (KeyboardInterrupt reaches the caller)."""
        self._serving = True
        self._server.serve_forever(poll_interval=0.05)  # how soon `stop()` is noticed

    def stop(self) -> None:
        """Stop serving and close the socket; requests held for a timeout are let go at once."""
        self._stopping.set()
        if self._serving:
            self._server.shutdown()
            self._serving = False
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> DemoMarket:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def hits(self, path: str) -> int:
        """How many requests asked for `path` (no query string), failed ones included."""
        with self._lock:
            return self._hits[path]

    def hit_counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._hits)

    def post(self, category: str, price: Decimal, *, family: int = 0) -> catalogue.DemoListing:
        """Put a new listing up now (by the market's clock), the way a seller would: an item of the
        category's `family` at `price`. It leads its searches' results and has its own page from
        then on; a price at or under `catalogue.DEAL_CEILING` of the family's makes it a deal."""
        now = self.clock()
        with self._lock:
            listing = catalogue.posted_listing(len(self._posted) + 1, category, price, now, family=family)
            self._posted[listing.listing_id] = listing
        return listing

    def _posted_listing(self, listing_id: str) -> catalogue.DemoListing | None:
        with self._lock:
            return self._posted.get(listing_id)

    def wait(self, seconds: float) -> None:
        """Sleep for a delay, cut short when the market stops."""
        if seconds > 0:
            self._stopping.wait(seconds)

    def respond(self, target: str, base_url: str) -> Response:
        """The answer to `GET target` (a path with its query string)."""
        url = urlsplit(target)
        with self._lock:
            self._hits[url.path] += 1
        params = {name: values[-1] for name, values in parse_qs(url.query).items()}
        try:
            return self._route(url.path, params, base_url)
        except BadRequestError as error:
            return Response(400, pages.message_page("Bad request", str(error)))

    def _route(self, path: str, params: Mapping[str, str], base_url: str) -> Response:
        if path == "/":
            return Response(200, pages.index_page([category.word for category in CATEGORIES]))
        if path == "/robots.txt":
            return Response(200, pages.ROBOTS_TXT, "text/plain; charset=utf-8")
        if path == "/search":
            return self._search(params, base_url)
        if item := _ITEM.match(path):
            return self._item(item.group(1), base_url)
        if picture := _PICTURE.match(path):
            return self._picture(picture.group(1))
        if path.startswith(("/admin", "/account")):
            return Response(403, pages.message_page("Forbidden", "Staff only."))
        return Response(404, pages.message_page("Not found", "There is no such page."))

    def _draw_failure(self) -> str | None:
        with self._lock:
            if self.fail_rate and self._failures.random() < self.fail_rate:
                return self.fail_mode
        return None

    def _search(self, params: Mapping[str, str], base_url: str) -> Response:
        search = {name: params[name] for name in ("q", "min_price", "max_price", "condition") if params.get(name)}
        filters = _filters(search)
        number = _whole_number(params.get("page", "1"), "page", minimum=1)
        delay = self.latency + _whole_number(params.get("latency_ms", "0"), "latency_ms", minimum=0) / 1000
        failure = params.get("fail") or self._draw_failure()
        if failure is not None and failure not in FAIL_MODES:
            raise BadRequestError(f"fail must be one of {', '.join(FAIL_MODES)}")
        if failure == "429":
            page = pages.message_page("Too many requests", "Slow down, please.")
            return Response(429, page, headers={"Retry-After": str(self.retry_after)}, delay=delay)
        if failure == "500":
            return Response(500, pages.message_page("Server error", "Something broke."), delay=delay)
        with self._lock:
            posted = list(self._posted.values())
        results = catalogue.search(search.get("q", ""), self.clock(), self.seed, posted=posted, **filters)
        theme = pages.REDESIGN if failure == "markup" else pages.CLASSIC
        body = pages.results_page(search, pages.paginate(results, number, self.per_page), base_url, theme)
        if failure == "timeout":
            delay += self.hang_seconds
        return Response(200, body, headers={"Cache-Control": "no-store"}, delay=delay, truncate=failure == "truncate")

    def _item(self, listing_id: str, base_url: str) -> Response:
        now = self.clock()
        posted = self._posted_listing(listing_id)
        listing = posted if posted and posted.listed_at <= now else catalogue.find(listing_id, now, self.seed)
        if listing is not None:
            return Response(200, pages.item_page(listing, base_url))
        if catalogue.exists(listing_id, now, self.seed):
            return Response(410, pages.message_page("Listing gone", "This listing is no longer available."))
        return Response(404, pages.message_page("Not found", "There is no such listing."))

    def _picture(self, listing_id: str) -> Response:
        posted = self._posted_listing(listing_id)
        picture = (posted.category, posted.family) if posted else catalogue.picture_of(listing_id, self.seed)
        if picture is None:
            return Response(404, pages.message_page("Not found", "There is no such picture."))
        return Response(
            200, pictures.svg(listing_id, *picture), "image/svg+xml", headers={"Cache-Control": "max-age=86400"}
        )


def _filters(search: Mapping[str, str]) -> dict[str, Any]:
    """The catalogue filters a search asks for, validated."""
    condition = search.get("condition")
    if condition is not None and condition not in {c.value for c in Condition}:
        raise BadRequestError(f"condition must be one of {', '.join(c.value for c in Condition)}")
    return {
        "min_price": _money(search, "min_price"),
        "max_price": _money(search, "max_price"),
        "condition": Condition(condition) if condition else None,
    }


def _money(search: Mapping[str, str], name: str) -> Decimal | None:
    if name not in search:
        return None
    try:
        amount = Decimal(search[name])
    except InvalidOperation:
        raise BadRequestError(f"{name} must be a number") from None
    if not amount.is_finite() or amount < 0:
        raise BadRequestError(f"{name} must be a number, 0 or more")
    return amount


def _whole_number(text: str, name: str, *, minimum: int) -> int:
    if not text.isdigit() or int(text) < minimum:
        raise BadRequestError(f"{name} must be a whole number, {minimum} or more")
    return int(text)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler], market: DemoMarket) -> None:
        self.market = market
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (a timeout test) is normal here, not a traceback."""
        log.debug("demo market: client %s went away", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def version_string(self) -> str:
        return "DemoMarket/1.0"

    def do_GET(self) -> None:
        market = self.server.market
        host = self.headers.get("Host")
        response = market.respond(self.path, f"http://{host}" if host else market.url)
        market.wait(response.delay)
        body = response.body.encode("utf-8")
        if response.truncate:
            body = body[: len(body) // 2]
        try:
            self.send_response(response.status)
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            log.debug("demo market: client went away before %s was answered", self.path)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's signature)
        log.debug("%s %s", self.address_string(), format % args)
