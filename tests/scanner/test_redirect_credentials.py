"""Issue 20, defect 3: credentials follow only their origin. `FACEBOOK_COOKIES` (a `Cookie`
header), eBay's Basic auth (`auth=` on the token POST) and any `Authorization`, `Cookie` or
`Proxy-Authorization` header are dropped at the first redirect hop to another scheme, host or
port — against two real loopback servers (two ports: two origins) that record what they receive."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from models.settings import Settings, load_settings
from scanner.http import PoliteClient, RobotsCache
from scanner.ratelimit import LocalRateLimiter

COOKIE = "c_user=1000; xs=s3cret-session"
CREDENTIALS = ("app-id", "cert-s3cret")


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingServer:
    """Answers each path with a scripted status and headers (200 "ok" otherwise) and records every
    request as it arrived."""

    routes: dict[str, tuple[int, dict[str, str]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # the http.server API names it so
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                server.received.append(
                    Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                status, headers = server.routes.get(self.path, (200, {}))
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            do_POST = do_GET  # noqa: N815  (the name http.server looks for)

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()

    def redirect(self, path: str, status: int, location: str) -> str:
        self.routes[path] = (status, {"Location": location})
        return self.url + path

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers() -> Iterator[tuple[RecordingServer, RecordingServer]]:
    """The marketplace, and another site a redirect leads to."""
    pair = RecordingServer(), RecordingServer()
    yield pair
    for server in pair:
        server.close()


@pytest.fixture
def client(tmp_path: Path) -> PoliteClient:
    settings: Settings = load_settings(data_dir=tmp_path, http_retries=0, rate_limit_per_minute=6000)
    return PoliteClient("facebook", settings, LocalRateLimiter(6000), robots=RobotsCache())


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_the_cookie_is_not_sent_to_another_origin(
    servers: tuple[RecordingServer, RecordingServer], client: PoliteClient, status: int
) -> None:
    market, other = servers
    start = market.redirect("/marketplace/search", status, f"{other.url}/landing")
    response = client.get(start, headers={"Cookie": COOKIE}, respect_robots=False)
    assert response.url == f"{other.url}/landing"
    assert market.received[0].headers["cookie"] == COOKIE
    assert [request.path for request in other.received] == ["/landing"]
    assert "cookie" not in other.received[0].headers


@pytest.mark.parametrize("status", [307, 308])
def test_basic_auth_on_a_post_is_not_sent_to_another_origin(
    servers: tuple[RecordingServer, RecordingServer], client: PoliteClient, status: int
) -> None:
    """eBay's token request: a 307 keeps the method and body, never the client's secret."""
    market, other = servers
    start = market.redirect("/identity/v1/oauth2/token", status, f"{other.url}/token")
    client.post(start, data={"grant_type": "client_credentials"}, auth=CREDENTIALS)
    assert market.received[0].headers["authorization"].startswith("Basic ")
    [forwarded] = other.received
    assert (forwarded.method, forwarded.body) == ("POST", b"grant_type=client_credentials")
    assert "authorization" not in forwarded.headers


def test_credential_headers_are_dropped_however_they_are_capitalised(
    servers: tuple[RecordingServer, RecordingServer], client: PoliteClient
) -> None:
    market, other = servers
    start = market.redirect("/api", 302, f"{other.url}/api")
    headers = {
        "AUTHORIZATION": "Bearer t0ken",
        "cookie": COOKIE,
        "Proxy-Authorization": "Basic cHJveHk=",
        "Accept": "x/y",
    }
    client.get(start, headers=headers, respect_robots=False)
    forwarded = other.received[0].headers
    assert not {"authorization", "cookie", "proxy-authorization"} & forwarded.keys()
    assert forwarded["accept"] == "x/y"  # what is not a credential still goes


def test_a_chain_that_leaves_and_returns_never_brings_them_back(
    servers: tuple[RecordingServer, RecordingServer], client: PoliteClient
) -> None:
    """Dropped at the first hop away, for the rest of the chain: the other site chose where to go next."""
    market, other = servers
    back = market.url + "/back"
    start = market.redirect("/start", 302, other.redirect("/away", 302, back))
    client.get(start, headers={"Cookie": COOKIE, "Authorization": "Bearer t0ken"}, respect_robots=False)
    assert [(request.path, "cookie" in request.headers) for request in market.received] == [
        ("/start", True),
        ("/back", False),
    ]
    assert "cookie" not in other.received[0].headers and "authorization" not in other.received[0].headers


@pytest.mark.parametrize("status", [302, 307])
def test_a_same_origin_hop_keeps_them(
    servers: tuple[RecordingServer, RecordingServer], client: PoliteClient, status: int
) -> None:
    market, _ = servers
    start = market.redirect("/identity/token", status, "/identity/v2/token")
    client.post(start, data={"grant_type": "client_credentials"}, headers={"Cookie": COOKIE}, auth=CREDENTIALS)
    assert [(request.method, request.path) for request in market.received] == [
        ("POST", "/identity/token"),
        ("POST" if status == 307 else "GET", "/identity/v2/token"),
    ]
    assert all(request.headers["cookie"] == COOKIE for request in market.received)
    assert market.received[1].headers["authorization"] == market.received[0].headers["authorization"]


def test_another_host_name_for_the_same_server_is_another_origin(
    servers: tuple[RecordingServer, RecordingServer], client: PoliteClient
) -> None:
    """Origins compare scheme, host and port as written: `localhost` is not `127.0.0.1`."""
    market, _ = servers
    elsewhere = market.url.replace("127.0.0.1", "localhost") + "/landing"
    start = market.redirect("/start", 302, elsewhere)
    client.get(start, headers={"Cookie": COOKIE}, respect_robots=False)
    assert [("cookie" in request.headers) for request in market.received] == [True, False]


def test_the_first_requests_query_is_not_added_to_the_location_it_is_sent_to(
    servers: tuple[RecordingServer, RecordingServer], client: PoliteClient
) -> None:
    """The search's words go to the marketplace only: the next hop is the Location as given."""
    market, other = servers
    market.redirect("/search?q=leica+m6", 302, f"{other.url}/results?page=1")
    client.get(f"{market.url}/search", params={"q": "leica m6"}, respect_robots=False)
    assert [request.path for request in other.received] == ["/results?page=1"]
