"""Issue 20, defect 2: the SSRF guard is checked where the connection is made — against real
loopback servers that count what reaches them. No resolver is stubbed: a name that resolves to
loopback (`localhost`) stands for the second, rebound answer of a hostile DNS server, and a
`url_guard` that lets every URL pass stands for the first, public one."""

from __future__ import annotations

import datetime
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from models.settings import Settings, load_settings
from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.http import PoliteClient, RobotsCache, build_session
from scanner.http_guard import PeerCheckingAdapter, Target, is_public_address, parse_target
from scanner.marketplaces.base import SearchQuery
from scanner.marketplaces.jsonld import JsonLdAdapter, check_fetchable
from scanner.ratelimit import LocalRateLimiter

from .conftest import Canned, ScriptedServer

PRODUCT_PAGE = (
    b'<html><head><script type="application/ld+json">{"@type": "Product", "name": "Amp", '
    b'"offers": {"price": "10.00", "priceCurrency": "USD"}}</script></head></html>'
)

MALFORMED = [
    "http://[::1",
    "http://[::1]:99999/",
    "http://shop.example:port/",
    "http://shop.example:0/",
    "http://shop.example:80:80/",
    "http://",
    "http:///products/x",
    "http://:8080/",
    "http://127.0.0.1:8080\\@8.8.8.8/",
    "http://shop.example\\.evil.example/",
    "http://%31%32%37.0.0.1/",
    "http://shop.example\t/",
    "http://sh op.example/",
    "http://[fe80::1%25eth0]/",
    "file:///etc/passwd",
]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        http_retries=0,
        http_connect_timeout_seconds=2,
        http_read_timeout_seconds=2,
        rate_limit_per_minute=6000,
    )


@pytest.fixture
def internal() -> Iterator[ScriptedServer]:
    """A second loopback server: the internal service an attacker wants us to reach."""
    server = ScriptedServer()
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def jsonld_client(
    settings: Settings,
    *,
    url_guard: Callable[[str], None] | None = None,
    session: requests.Session | None = None,
) -> PoliteClient:
    return PoliteClient(
        "jsonld", settings, LocalRateLimiter(6000), robots=RobotsCache(), url_guard=url_guard, session=session
    )


@pytest.mark.parametrize("allow_private", [False, True])
def test_the_backslash_form_never_reaches_the_server_before_the_backslash(
    http_server: ScriptedServer, settings: Settings, allow_private: bool
) -> None:
    """`http://127.0.0.1:P\\@8.8.8.8/`: 8.8.8.8 to `urlsplit`, 127.0.0.1:P to requests. Refused as
    malformed, even where private addresses are allowed: neither robots.txt nor the page is asked for."""
    http_server.script("/products/x", Canned(body=PRODUCT_PAGE))
    local = settings.model_copy(update={"jsonld_allow_private_addresses": allow_private})
    adapter = JsonLdAdapter(local)
    client = jsonld_client(local, url_guard=adapter.check_url)
    url = f"{http_server.url}\\@8.8.8.8/products/x"
    with pytest.raises(ScanError) as raised:
        adapter.search(SearchQuery(url), client)
    assert raised.value.error_class is ErrorClass.NOT_ALLOWED
    assert dict(http_server.hits) == {}
    assert client.requests_made == 0


@pytest.mark.parametrize("url", MALFORMED)
def test_malformed_urls_are_refusals_not_exceptions(settings: Settings, url: str) -> None:
    client = PoliteClient("demo", settings, LocalRateLimiter(6000), robots=RobotsCache())
    with pytest.raises(ScanError) as fetched:
        client.get(url)
    assert fetched.value.error_class is ErrorClass.NOT_ALLOWED
    assert client.requests_made == 0
    for allow_private in (False, True):
        with pytest.raises(ScanError) as checked:
            check_fetchable(url, allow_private=allow_private)
        assert checked.value.error_class is ErrorClass.NOT_ALLOWED


def test_a_name_rebound_to_loopback_is_refused_at_the_socket(http_server: ScriptedServer, settings: Settings) -> None:
    """DNS rebinding: the name check saw a public answer (here: a guard that passes everything);
    the connection resolves the name again and reaches loopback. The socket's peer is checked
    before the request is written, so the server reads no request — robots.txt included."""
    http_server.script("/robots.txt", Canned(status=404))
    url = http_server.script("/products/x", Canned(body=PRODUCT_PAGE)).replace("127.0.0.1", "localhost")
    passed: list[str] = []
    client = jsonld_client(settings, url_guard=passed.append)
    with pytest.raises(ScanError) as raised:
        client.get(url)
    assert raised.value.error_class is ErrorClass.NOT_ALLOWED  # not robots_disallowed: the refusal itself
    assert "127.0.0.1" in str(raised.value)
    assert passed == [url.replace("/products/x", "/robots.txt")]
    assert dict(http_server.hits) == {}


def test_the_same_server_is_reached_when_private_addresses_are_allowed(
    http_server: ScriptedServer, settings: Settings
) -> None:
    """The control of the test above: the refusal comes from the socket check, nothing else."""
    http_server.script("/robots.txt", Canned(status=404))
    url = http_server.script("/products/x", Canned(body=PRODUCT_PAGE)).replace("127.0.0.1", "localhost")
    client = jsonld_client(settings.model_copy(update={"jsonld_allow_private_addresses": True}))
    assert client.get(url).content == PRODUCT_PAGE
    assert len(http_server.hits["/products/x"]) == 1


def test_a_redirect_hop_is_checked_at_its_socket_too(
    http_server: ScriptedServer, internal: ScriptedServer, settings: Settings
) -> None:
    """The shop (standing in for the public internet: the only peer this check accepts) redirects to
    a name that reaches the internal server; the name check passes it, the socket check does not."""
    shop_port = int(http_server.url.rsplit(":", 1)[1])

    def only_the_shop(address: str, port: int) -> None:
        if port != shop_port:
            raise ScanError(ErrorClass.NOT_ALLOWED, f"{address}:{port} is internal")

    internal.script("/admin", Canned(body=b"secrets"))
    internal_url = internal.url.replace("127.0.0.1", "localhost") + "/admin"
    start = http_server.script("/go", Canned(302, b"", {"Location": internal_url}))
    session = requests.Session()
    session.mount("http://", PeerCheckingAdapter(only_the_shop, max_retries=0))
    passed: list[str] = []
    client = jsonld_client(settings, session=session, url_guard=passed.append)
    with pytest.raises(ScanError) as raised:
        client.get(start, respect_robots=False)
    assert raised.value.error_class is ErrorClass.NOT_ALLOWED
    assert passed == [start, internal_url]
    assert len(http_server.hits["/go"]) == 1
    assert dict(internal.hits) == {}


class ByteCounter:
    """A raw TCP listener on loopback that records how many bytes each connection sent it, then
    hangs up: a TLS ClientHello counts as much as an HTTP request."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self.listener.getsockname()[1]
        self.received: list[int] = []
        self.done = threading.Event()
        threading.Thread(target=self._serve_one, daemon=True).start()

    def _serve_one(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            connection.settimeout(5)
            try:
                self.received.append(len(connection.recv(65536)))  # b"" once the client hangs up
            except OSError:
                self.received.append(-1)
        self.done.set()

    def close(self) -> None:
        self.listener.close()


@pytest.fixture
def byte_counter() -> Iterator[ByteCounter]:
    counter = ByteCounter()
    yield counter
    counter.close()


def test_https_to_a_rebound_name_is_refused_before_the_tls_handshake(
    byte_counter: ByteCounter, settings: Settings
) -> None:
    client = jsonld_client(settings, url_guard=lambda url: None)
    with pytest.raises(ScanError) as raised:
        client.get(f"https://localhost:{byte_counter.port}/products/x", respect_robots=False)
    assert raised.value.error_class is ErrorClass.NOT_ALLOWED
    assert byte_counter.done.wait(5)
    assert byte_counter.received == [0]  # connected, then closed without a byte: no ClientHello


def test_https_control_a_permitted_peer_gets_the_client_hello(byte_counter: ByteCounter, settings: Settings) -> None:
    """The control of the test above: the counter does see a handshake when the peer is allowed."""
    client = jsonld_client(settings.model_copy(update={"jsonld_allow_private_addresses": True}))
    with pytest.raises(ScanError) as raised:
        client.get(f"https://localhost:{byte_counter.port}/products/x", respect_robots=False)
    assert raised.value.error_class is ErrorClass.CONNECTION  # the counter hung up mid-handshake
    assert byte_counter.done.wait(5)
    assert byte_counter.received[0] > 0


@pytest.fixture
def tls_shop(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A loopback HTTPS server with a self-signed certificate for `localhost`: its URL and the
    certificate (the CA bundle that trusts it)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "shop.pem", tmp_path / "shop.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    server = ScriptedServer()
    server.script("/products/x", Canned(body=PRODUCT_PAGE))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    yield server.url.replace("http://127.0.0.1", "https://localhost") + "/products/x", cert_path
    server.httpd.shutdown()
    server.httpd.server_close()


def test_the_checked_tls_connection_still_verifies_the_certificate(
    tls_shop: tuple[str, Path], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The checked HTTPS connections bring their own TLS context: the peer is checked, and the
    certificate verified against the CA bundle requests passes (certifi, or REQUESTS_CA_BUNDLE) —
    a self-signed one is refused until that bundle trusts it."""
    url, certificate = tls_shop
    peers: list[tuple[str, int]] = []
    session = requests.Session()
    session.mount("https://", PeerCheckingAdapter(lambda address, port: peers.append((address, port)), max_retries=0))
    client = jsonld_client(settings, session=session)
    with pytest.raises(ScanError) as raised:
        client.get(url, respect_robots=False)
    assert raised.value.error_class is ErrorClass.CONNECTION  # certificate verify failed
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate))  # what an operator's own CA would do
    assert client.get(url, respect_robots=False).content == PRODUCT_PAGE
    assert peers and all(address == "127.0.0.1" for address, _ in peers)


def test_only_jsonld_refusing_private_addresses_checks_its_sockets(settings: Settings) -> None:
    def adapter_of(marketplace: str, current: Settings) -> object:
        return build_session(current, marketplace).get_adapter("https://shop.example/")

    allowed = settings.model_copy(update={"jsonld_allow_private_addresses": True})
    assert isinstance(adapter_of("jsonld", settings), PeerCheckingAdapter)
    assert not isinstance(adapter_of("jsonld", allowed), PeerCheckingAdapter)
    assert not isinstance(adapter_of("demo", settings), PeerCheckingAdapter)


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://Shop.Example/p?q=1", Target("https", "shop.example", 443)),
        ("HTTP://shop.example:8080", Target("http", "shop.example", 8080)),
        ("http://user:pw@shop.example/p", Target("http", "shop.example", 80)),
        ("https://bücher.example/", Target("https", "xn--bcher-kva.example", 443)),
        ("http://[2606:4700::1]:81/", Target("http", "2606:4700::1", 81)),
        ("http://shop.example/a\\b", Target("http", "shop.example", 80)),  # a backslash in the path is harmless
    ],
)
def test_well_formed_urls_give_the_host_and_port_requests_connects_to(url: str, target: Target) -> None:
    assert parse_target(url) == target


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700::1", True),
        ("127.0.0.1", False),
        ("::1", False),
        ("10.1.2.3", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("::ffff:127.0.0.1", False),
        ("fe80::1%eth0", False),
        ("224.0.0.1", False),
        ("240.0.0.1", False),
    ],
)
def test_public_addresses_are_globally_routable_unicast_ones(address: str, public: bool) -> None:
    assert is_public_address(address) is public
