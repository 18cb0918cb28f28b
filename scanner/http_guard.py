"""Where a request may go: URLs that every parser on the way reads alike, and, for marketplaces that
fetch URLs users typed (jsonld), the address the socket really connected to.

Why at the socket: a check that resolves a name before the request is a different lookup from the
one the connection makes, so a DNS server answering a public address first and a private one
second (DNS rebinding) passes it; and a URL that our parser (`urlsplit`) reads differently from
requests' (urllib3's `parse_url`) — `http://127.0.0.1:8080\\@8.8.8.8/` is 8.8.8.8 to the first,
127.0.0.1:8080 to the second — makes a name check judge a host nobody connects to. The address a
connected socket reports (`getpeername()`) is the one the bytes go to.

How, with public, meant-to-be-subclassed hooks only (no `_new_conn`, no patched resolver):
`PeerCheckingAdapter` is a requests `HTTPAdapter` whose `init_poolmanager` (documented "for use
when subclassing") gives urllib3's `PoolManager` its own `pool_classes_by_scheme`: pools whose
`ConnectionCls` check the peer. Plain HTTP: right after the TCP connect (`connect()`), before the
request is written. HTTPS: before the TLS handshake — the connection's `ssl_context` is urllib3's
own `create_urllib3_context()` with an `SSLContext.sslsocket_class` whose `do_handshake` checks
first (certificates are verified as before: requests hands each connection its CA bundle). A
refused peer raises `ScanError(NOT_ALLOWED)`, which neither urllib3 nor requests catches, retries
or wraps: no byte of HTTP or TLS reaches it. A name that resolves to several addresses is refused
at the first refused one it connects to (no fallback to the next), so a rebound answer cannot be
skipped past.

Proxies: with a proxy (`PROXY_URL_<MARKETPLACE>`, or the environment's for a direct marketplace)
requests connects through urllib3's `ProxyManager`, not these pools, and the proxy makes the
connection to the site: we cannot see the address it reaches. What remains then is the adapter's
name check (`check_fetchable` for jsonld: the name must resolve to public addresses here), the
best available — the operator's proxy is trusted to sit outside the private network.
"""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import parse_url
from urllib3.util.ssl_ import create_urllib3_context

from models.tables import ErrorClass
from scanner.errors import ScanError

ALLOWED_SCHEMES = ("http", "https")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_LINE_BREAKS_AND_TABS = ("\t", "\r", "\n")  # urlsplit drops them silently; urllib3 refuses them

#: Called with the address and port a socket connected to; raises `ScanError` to refuse it.
PeerCheck = Callable[[str, int], None]


@dataclass(frozen=True)
class Target:
    """Where a URL connects, as requests (urllib3's `parse_url`) reads it."""

    scheme: str
    host: str  # lower case, IDNA-encoded, an IPv6 address without brackets
    port: int

    @property
    def origin(self) -> tuple[str, str, int]:
        """Scheme, host and port: what credentials belong to (RFC 6454)."""
        return self.scheme, self.host, self.port


def parse_target(url: str) -> Target:
    """The URL's target, or `ScanError(NOT_ALLOWED)` for anything but a well-formed http(s) URL that
    Python's parser and urllib3's read as the same host and port: a refusal, never a ValueError."""
    shown = url[:100]
    if any(char in url for char in _LINE_BREAKS_AND_TABS):
        raise ScanError(ErrorClass.NOT_ALLOWED, f"a tab or line break in the URL {shown!r}")
    try:
        split = urlsplit(url)
        split_port = split.port
        parsed = parse_url(url)  # urllib3's LocationParseError is a ValueError too
    except ValueError as error:
        raise ScanError(ErrorClass.NOT_ALLOWED, f"not a well-formed URL: {shown!r} ({error})") from None
    scheme = split.scheme.lower()
    if scheme not in ALLOWED_SCHEMES or (parsed.scheme or "").lower() != scheme:
        raise ScanError(ErrorClass.NOT_ALLOWED, f"only http(s) URLs are fetched, not {shown!r}")
    if "\\" in split.netloc or any(char.isspace() or not char.isprintable() for char in split.netloc):
        raise ScanError(ErrorClass.NOT_ALLOWED, f"a backslash, space or control character in the host of {shown!r}")
    split_host = split.hostname or ""
    host = (parsed.host or "").strip("[]").lower()
    if not host or not split_host:
        raise ScanError(ErrorClass.NOT_ALLOWED, f"no host in {shown!r}")
    if "%" in host or "%" in split_host:
        raise ScanError(ErrorClass.NOT_ALLOWED, f"a percent-encoded host or an IPv6 zone in {shown!r}")
    # A non-ASCII name is compared by urllib3 alone: it IDNA-encodes it, urlsplit does not.
    if (split_host.isascii() and split_host != host) or split_port != parsed.port:
        raise ScanError(ErrorClass.NOT_ALLOWED, f"{shown!r} reads as two different hosts")
    port = parsed.port if parsed.port is not None else _DEFAULT_PORTS[scheme]
    if port == 0:
        raise ScanError(ErrorClass.NOT_ALLOWED, f"port 0 in {shown!r}")
    return Target(scheme, host, port)


def is_public_address(address: str) -> bool:
    """A globally routable unicast address: not loopback, private, link-local (cloud metadata),
    shared (CGNAT), multicast or reserved — an IPv4 address mapped into IPv6 judged as IPv4."""
    ip = ipaddress.ip_address(address.split("%")[0])  # drop an IPv6 zone
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_multicast or ip.is_reserved)


def refuse_non_public(address: str, port: int) -> None:
    """The check for marketplaces that fetch what users type: public addresses only."""
    if not is_public_address(address):
        raise ScanError(
            ErrorClass.NOT_ALLOWED,
            f"the connection reached {address}:{port}, a private or reserved address "
            "(set JSONLD_ALLOW_PRIVATE_ADDRESSES=true to watch shops on your own network)",
        )


def _check_connected(sock: Any, check: PeerCheck) -> None:
    """Run `check` on the socket's peer; close the socket first when it refuses."""
    peer = sock.getpeername()
    try:
        check(str(peer[0]), int(peer[1]))
    except BaseException:
        sock.close()
        raise


def _checking_pool_classes(check: PeerCheck) -> dict[str, type[HTTPConnectionPool]]:
    """urllib3 pool classes whose connections run `check` on the peer before sending a byte."""

    class CheckedTLSSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            _check_connected(self, check)  # connected, not yet a byte of TLS sent
            super().do_handshake(block)

    # urllib3's own defaults; requests hands every connection its CA bundle (`ca_certs`: certifi, or
    # REQUESTS_CA_BUNDLE), which urllib3 loads into this context before the handshake.
    tls = create_urllib3_context()
    tls.sslsocket_class = CheckedTLSSocket

    class CheckedHTTPConnection(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            _check_connected(self.sock, check)  # connected, the request not yet written

    class CheckedHTTPSConnection(HTTPSConnection):
        def __init__(self, host: str, port: int | None = None, **kwargs: Any) -> None:
            super().__init__(host, port, **{**kwargs, "ssl_context": tls})

    class CheckedHTTPConnectionPool(HTTPConnectionPool):
        ConnectionCls = CheckedHTTPConnection

    class CheckedHTTPSConnectionPool(HTTPSConnectionPool):
        ConnectionCls = CheckedHTTPSConnection

    return {"http": CheckedHTTPConnectionPool, "https": CheckedHTTPSConnectionPool}


class PeerCheckingAdapter(HTTPAdapter):
    """A requests transport adapter whose direct connections are refused, before any byte is sent,
    when `check` refuses the address the socket connected to (see the module's docstring; proxied
    requests go through the proxy's own pools, unchecked)."""

    def __init__(self, check: PeerCheck = refuse_non_public, **kwargs: Any) -> None:
        self._pool_classes = _checking_pool_classes(check)  # before HTTPAdapter builds its pool manager
        super().__init__(**kwargs)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = self._pool_classes
