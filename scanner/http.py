"""Polite HTTP, in one place used by every marketplace adapter.

Timeouts on connect and read; urllib3 `Retry` on 429/5xx honouring `Retry-After` (capped, so
one hostile header cannot park a worker thread for an hour); a per-marketplace rate limit shared
by all workers; a real User-Agent; robots.txt for scraped pages; a cap on response size. Every
failure leaves here as a `ScanError` whose class is what the task log records.

Redirects are followed here, hop by hop: each URL must be well-formed (`http_guard.parse_target`)
and pass the adapter's `url_guard` before it is sent, and credentials (`auth`, `Authorization`,
`Cookie`, `Proxy-Authorization`) are dropped at the first hop that leaves their origin. The
jsonld marketplace, which fetches whatever URL a user typed, also has its connections checked
at the socket (`http_guard.PeerCheckingAdapter`).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from protego import Protego
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from models.settings import Settings
from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.http_guard import PeerCheckingAdapter, Target, parse_target
from scanner.ratelimit import RateLimiter, make_rate_limiter

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)
MAX_REDIRECTS = 5
MAX_RETRY_AFTER_SECONDS = 60.0
ROBOTS_TTL_SECONDS = 3600.0
# A captcha or bot wall: a refused response carrying a challenge widget (`captcha`), or any page
# titled as a check (`blocked` when it came with a 200).
_CHALLENGE_MARKERS = (b"g-recaptcha", b"h-captcha", b"cf-challenge", b"challenges.cloudflare.com", b"captcha-delivery")
_CHALLENGE_TITLES = (
    b"pardon our interruption",
    b"are you a robot",
    b"attention required",
    b"robot check",
    b"security check",
)
_TITLE = re.compile(rb"<title[^>]*>([^<]{0,300})")
_CONSENT_HOST_PREFIXES = ("consent.", "myprivacy.")
_CONSENT_HOST_SUFFIXES = (".privacy-mgmt.com", ".consentmanager.net")
_CHALLENGE_SCAN_BYTES = 200_000
# What a request carries for its origin alone (requests' own redirect handling drops the same).
_CREDENTIAL_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_CREDENTIAL_ARGUMENTS = ("auth", "cookies")
_BODY_ARGUMENTS = ("data", "json", "files", "params")
# What an unreadable robots.txt means (RFC 9309 §2.3.1): a 4xx has no rules, a 5xx or no answer keeps us out.
_NO_RULES = Protego.parse("")
_STAY_OUT = Protego.parse("User-agent: *\nDisallow: /\n")


@dataclass(frozen=True)
class PoliteResponse:
    """A response whose body was read under the size cap: the client hands adapters this rather
    than a `requests.Response`, whose body it could only set through requests' internals."""

    status_code: int
    url: str
    headers: Mapping[str, str]
    content: bytes
    encoding: str

    @property
    def text(self) -> str:
        """The body decoded like `requests.Response.text`: bad bytes or an unknown charset never raise."""
        try:
            return self.content.decode(self.encoding, errors="replace")
        except LookupError:
            return self.content.decode("utf-8", errors="replace")


class CappedRetry(Retry):
    """urllib3's Retry, but a `Retry-After` longer than we are willing to sleep in a worker
    thread is cut short; the final 429 then reaches the task, which reschedules itself."""

    def get_retry_after(self, response: Any) -> float | None:
        retry_after = super().get_retry_after(response)
        return None if retry_after is None else min(retry_after, MAX_RETRY_AFTER_SECONDS)


def checks_peers(settings: Settings, marketplace: str) -> bool:
    """Whether this marketplace's connections must reach public addresses only: jsonld fetches any
    URL a user typed (unless `JSONLD_ALLOW_PRIVATE_ADDRESSES` lets it into the local network);
    the other marketplaces talk to their own fixed hosts, and tests point them at local servers."""
    return marketplace == "jsonld" and not settings.jsonld_allow_private_addresses


def build_session(settings: Settings, marketplace: str) -> requests.Session:
    """A session with retries, our User-Agent and the marketplace's proxy (`PROXY_URL_<MARKETPLACE>`);
    its direct connections checked at the socket where `checks_peers` says so."""
    retry = CappedRetry(
        total=settings.http_retries,
        connect=settings.http_retries,
        read=settings.http_retries,
        status=settings.http_retries,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD", "POST"}),
        backoff_factor=0.5,
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    session = requests.Session()
    adapter_class = PeerCheckingAdapter if checks_peers(settings, marketplace) else HTTPAdapter
    adapter = adapter_class(max_retries=retry, pool_connections=4, pool_maxsize=8)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update(
        {
            "User-Agent": settings.http_user_agent,
            "Accept-Language": "en-US,en;q=0.8",
        }
    )
    proxy = settings.proxy_url(marketplace)
    if proxy is not None:
        session.proxies = {"http": proxy, "https": proxy}
    return session


class RobotsCache:
    """robots.txt per origin, parsed by Protego and fetched again after an hour (RFC 9309: a 4xx
    means no rules; a 5xx, an unreachable server or an oversized file means stay out)."""

    def __init__(self) -> None:
        self._rules: dict[str, tuple[float, Protego]] = {}
        self._origin_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def allowed(self, client: PoliteClient, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            origin_lock = self._origin_locks.setdefault(origin, threading.Lock())
        with origin_lock:  # threads scanning one site wait for a single fetch of its robots.txt
            cached = self._rules.get(origin)
            if cached is None or time.monotonic() - cached[0] > ROBOTS_TTL_SECONDS:
                cached = self._rules[origin] = (time.monotonic(), self._fetch(client, origin))
        return cached[1].can_fetch(url, client.settings.robots_user_agent)

    @staticmethod
    def _fetch(client: PoliteClient, origin: str) -> Protego:
        try:
            response = client.request("GET", f"{origin}/robots.txt", classify=False)
        except ScanError as error:
            if error.error_class is ErrorClass.NOT_ALLOWED:
                raise  # a site we must not reach is refused as such, not as "disallowed by robots.txt"
            return _STAY_OUT
        if response.status_code >= 500:
            return _STAY_OUT
        if response.status_code >= 400:
            return _NO_RULES
        return Protego.parse(response.text)


class SessionPool:
    """HTTP sessions kept for the life of the process, one per thread and marketplace: keep-alive
    and one TLS handshake per host and thread instead of per scan. Per thread, because requests
    does not promise that a Session is safe to share between threads."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._local = threading.local()

    def session(self, marketplace: str) -> requests.Session:
        try:
            sessions: dict[str, requests.Session] = self._local.sessions
        except AttributeError:  # this thread's first scan
            sessions = self._local.sessions = {}
        if marketplace not in sessions:
            sessions[marketplace] = build_session(self.settings, marketplace)
        return sessions[marketplace]


@dataclass(frozen=True)
class Politeness:
    """What every scan in one worker process shares, so that a site sees one visitor: the rate
    limiter (per host), the robots.txt cache and the HTTP sessions. The worker builds one; a
    one-off scan makes its own."""

    limiter: RateLimiter
    robots: RobotsCache
    sessions: SessionPool

    @classmethod
    def for_process(cls, settings: Settings) -> Politeness:
        return cls(make_rate_limiter(settings), RobotsCache(), SessionPool(settings))


class PoliteClient:
    """The `HttpClient` adapters get: one per marketplace per scan."""

    def __init__(
        self,
        marketplace: str,
        settings: Settings,
        rate_limiter: RateLimiter,
        *,
        robots: RobotsCache,
        session: requests.Session | None = None,
        url_guard: Callable[[str], None] | None = None,
    ) -> None:
        self.marketplace = marketplace
        self.settings = settings
        self.rate_limiter = rate_limiter
        self.session = session or build_session(settings, marketplace)
        self.robots = robots
        self.url_guard = url_guard
        self.requests_made = 0

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        respect_robots: bool = True,
    ) -> PoliteResponse:
        parse_target(url)  # a malformed URL is refused before its robots.txt is asked for
        obey = respect_robots and self.settings.obeys_robots_txt(self.marketplace)
        if obey and not self.robots.allowed(self, url):
            raise ScanError(ErrorClass.ROBOTS_DISALLOWED, f"robots.txt of {urlsplit(url).netloc} disallows {url}")
        return self.request("GET", url, params=params, headers=headers)

    def post(
        self,
        url: str,
        *,
        data: Mapping[str, Any] | str | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> PoliteResponse:
        return self.request("POST", url, data=data, json=json_body, headers=headers, auth=auth)

    def request(self, method: str, url: str, *, classify: bool = True, **kwargs: Any) -> PoliteResponse:
        """Send one request under the rate limit and return it with its body read (capped).

        Redirects are followed here, not inside requests, so that every hop is checked
        (`parse_target`, then the adapter's `url_guard`) before it is sent, and so that the
        request's credentials stay with the origin they were given for: from the first hop to
        another scheme, host or port on, they are no longer sent."""
        origin: tuple[str, str, int] | None = None
        for _hop in range(MAX_REDIRECTS + 1):
            target: Target = parse_target(url)
            if origin is not None and target.origin != origin:
                kwargs = _without_credentials(kwargs)
            origin = target.origin
            if self.url_guard is not None:
                self.url_guard(url)
            response, body = self._send(method, url, **kwargs)
            if not response.is_redirect:
                break
            try:
                url = urljoin(response.url, response.headers["Location"])
            except ValueError:
                raise ScanError(
                    ErrorClass.NOT_ALLOWED, f"{_short(response.url)} redirects to a malformed URL"
                ) from None
            kwargs.pop("params", None)  # the Location is the whole next URL, its query included
            if response.status_code in (301, 302, 303) and method == "POST":  # the body stays behind
                method, kwargs = "GET", {key: value for key, value in kwargs.items() if key not in _BODY_ARGUMENTS}
        else:
            raise ScanError(ErrorClass.HTTP_ERROR, f"more than {MAX_REDIRECTS} redirects from {_short(url)}")
        declared_charset = "charset=" in response.headers.get("Content-Type", "").lower()
        result = PoliteResponse(
            status_code=response.status_code,
            url=response.url,
            headers=response.headers,
            content=body,
            # requests would fall back to ISO-8859-1 for text/html and garble ä or 日本語.
            encoding=(response.encoding or "utf-8") if declared_charset else "utf-8",
        )
        if classify:
            classify_response(result)
        return result

    def _send(self, method: str, url: str, **kwargs: Any) -> tuple[requests.Response, bytes]:
        """The response (its headers) and its body, read under the size cap."""
        self.rate_limiter.acquire(urlsplit(url).hostname or self.marketplace)  # per site: jsonld visits many
        timeout = (self.settings.http_connect_timeout_seconds, self.settings.http_read_timeout_seconds)
        self.requests_made += 1
        try:
            response = self.session.request(method, url, timeout=timeout, stream=True, allow_redirects=False, **kwargs)
            return response, self._read_capped(response)
        except requests.Timeout as error:
            raise ScanError(ErrorClass.TIMEOUT, f"{method} {_short(url)} timed out: {type(error).__name__}") from None
        except requests.exceptions.RetryError as error:
            raise ScanError(ErrorClass.SERVER_ERROR, f"{method} {_short(url)}: retries exhausted ({error})") from None
        except requests.exceptions.ProxyError:
            proxy = urlsplit(self.session.proxies.get(urlsplit(url).scheme, "")).hostname  # no password
            raise ScanError(
                ErrorClass.CONNECTION, f"{method} {_short(url)}: the proxy {proxy} refused or failed"
            ) from None
        except requests.ConnectionError as error:
            if "timed out" in str(error).lower():
                raise ScanError(ErrorClass.TIMEOUT, f"{method} {_short(url)} timed out") from None
            raise ScanError(ErrorClass.CONNECTION, f"{method} {_short(url)}: cannot connect") from None
        except requests.RequestException as error:
            raise ScanError(ErrorClass.CONNECTION, f"{method} {_short(url)}: {type(error).__name__}") from None

    def _read_capped(self, response: requests.Response) -> bytes:
        limit = self.settings.http_max_response_bytes
        declared = response.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            response.close()
            raise ScanError(ErrorClass.TOO_LARGE, f"{_short(response.url)} is {declared} bytes (limit {limit})")
        body = bytearray()
        for chunk in response.iter_content(chunk_size=65536):
            body.extend(chunk)
            if len(body) > limit:
                response.close()
                raise ScanError(ErrorClass.TOO_LARGE, f"{_short(response.url)} exceeds {limit} bytes")
        return bytes(body)


def _without_credentials(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The request's arguments without what identifies us to its origin (`auth`, `cookies`, and
    the `Authorization`, `Cookie` and `Proxy-Authorization` headers, however capitalised)."""
    kept = {key: value for key, value in kwargs.items() if key not in _CREDENTIAL_ARGUMENTS}
    headers: Mapping[str, str] | None = kwargs.get("headers")
    if headers:
        kept["headers"] = {name: value for name, value in headers.items() if name.lower() not in _CREDENTIAL_HEADERS}
    return kept


def classify_response(response: PoliteResponse) -> None:
    """Raise the `ScanError` a blocked or failed response deserves; return for a usable one."""
    status = response.status_code
    url = _short(response.url)
    if status == 429:
        retry_after = _retry_after_seconds(response)
        raise ScanError(ErrorClass.RATE_LIMITED, f"429 from {url}", retry_after=retry_after)
    if status >= 500:
        raise ScanError(ErrorClass.SERVER_ERROR, f"{status} from {url}")
    if status == 407:  # the operator's proxy, not the marketplace: no count toward its breaker
        raise ScanError(ErrorClass.CONFIGURATION, f"407 for {url}: the proxy refused our credentials (PROXY_URL_…)")
    if status >= 400 and _has_challenge_widget(response.content):
        raise ScanError(ErrorClass.CAPTCHA, f"{status} from {url}: a captcha or bot challenge")
    if status < 400 and _is_consent_host(urlsplit(response.url).hostname or ""):
        raise ScanError(ErrorClass.BLOCKED, f"{status} from {url}: a cookie-consent page instead of results")
    if title := _challenge_title(response.content):
        kind = ErrorClass.CAPTCHA if status >= 400 else ErrorClass.BLOCKED
        raise ScanError(kind, f"{status} from {url}: a bot check ({title})")
    if status == 401 or "/login" in urlsplit(response.url).path:
        raise ScanError(ErrorClass.LOGIN_WALL, f"{status} from {url}: sign-in required")
    if status == 403:
        raise ScanError(ErrorClass.FORBIDDEN, f"403 from {url}: forbidden or a bot wall")
    if status >= 400:
        raise ScanError(ErrorClass.HTTP_ERROR, f"{status} from {url}")


def _has_challenge_widget(body: bytes) -> bool:
    """A widget's marker counts only on a refused response: a page of results may embed an
    invisible reCAPTCHA (eBay's do), and only its adapter knows whether it holds results. Plain
    substring searches in the lower-cased start of the page: 0.2 ms for a 35 KB results page,
    where one case-insensitive regex took 2 ms."""
    page = body[:_CHALLENGE_SCAN_BYTES].lower()
    return any(marker in page for marker in _CHALLENGE_MARKERS)


def _challenge_title(body: bytes) -> str | None:
    """The page's title when it asks for a check — on any page, refused or not: a 200 page so
    titled is a block page that would otherwise read as "no results"."""
    titles: list[bytes] = _TITLE.findall(body[:_CHALLENGE_SCAN_BYTES].lower())
    for title in titles:
        if any(phrase in title for phrase in _CHALLENGE_TITLES):
            return title.decode("utf-8", "replace").strip()
    return None


def _is_consent_host(host: str) -> bool:
    """Redirected to a consent manager (`consent.google.com`, DPG Media's `myprivacy.dpgmedia.nl`,
    Sourcepoint's `*.privacy-mgmt.com`): the site wants a click before it shows anything."""
    return host.startswith(_CONSENT_HOST_PREFIXES) or host.endswith(_CONSENT_HOST_SUFFIXES)


def _retry_after_seconds(response: PoliteResponse) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return Retry().parse_retry_after(value)


def _short(url: str | None) -> str:
    """A URL for messages: without its query string, which may carry keys or session tokens."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}{parts.path}"
