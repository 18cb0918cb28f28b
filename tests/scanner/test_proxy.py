"""`PROXY_URL_<MARKETPLACE>`: one marketplace's requests go through a proxy — against a real proxy
process (pproxy, HTTP and SOCKS5 on one port, with a password) and a real local site."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from models.settings import Settings, load_settings
from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.http import PoliteClient, RobotsCache
from scanner.ratelimit import LocalRateLimiter

from .conftest import Canned, ScriptedServer

PROXY_USER, PROXY_PASSWORD = "scout", "pr0xy-s3cret"


@dataclass(frozen=True)
class Proxy:
    port: int
    log: Path

    def url(self, scheme: str, *, password: str = PROXY_PASSWORD) -> str:
        return f"{scheme}://{PROXY_USER}:{password}@127.0.0.1:{self.port}"

    def relayed(self) -> list[str]:
        """The connections the proxy relayed, as it logs them: `http 127.0.0.1:5 -> 127.0.0.1:80`."""
        return [line for line in self.log.read_text().splitlines() if " -> " in line]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def proxy(tmp_path: Path) -> Iterator[Proxy]:
    port, log = free_port(), tmp_path / "proxy.log"
    listen = f"http+socks5://127.0.0.1:{port}#{PROXY_USER}:{PROXY_PASSWORD}"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "pproxy", "-l", listen, "-v"], stdout=output, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError(f"the proxy did not start: {log.read_text()}") from None
                time.sleep(0.05)
        yield Proxy(port, log)
    finally:
        process.terminate()
        process.wait(timeout=10)


def client(marketplace: str, tmp_path: Path, **proxies: str) -> PoliteClient:
    settings: Settings = load_settings(data_dir=tmp_path, http_retries=0, rate_limit_per_minute=6000, **proxies)
    return PoliteClient(marketplace, settings, LocalRateLimiter(6000), robots=RobotsCache())


@pytest.mark.parametrize("scheme", ["http", "socks5", "socks5h"])
def test_a_marketplace_with_a_proxy_fetches_through_it(
    proxy: Proxy, http_server: ScriptedServer, tmp_path: Path, scheme: str
) -> None:
    url = http_server.script("/search", Canned(body=b"<html>results</html>"))
    response = client("ebay", tmp_path, proxy_url_ebay=proxy.url(scheme)).get(url, respect_robots=False)
    assert response.text == "<html>results</html>"
    assert len(proxy.relayed()) == 1


def test_robots_txt_is_fetched_through_the_proxy_as_well(
    proxy: Proxy, http_server: ScriptedServer, tmp_path: Path
) -> None:
    http_server.script("/robots.txt", Canned(body=b"User-agent: *\nAllow: /\n"))
    url = http_server.script("/search", Canned(body=b"ok"))
    client("craigslist", tmp_path, proxy_url_craigslist=proxy.url("http")).get(url)
    assert len(proxy.relayed()) == 2
    assert http_server.hits.keys() >= {"/robots.txt", "/search"}


def test_other_marketplaces_connect_directly(proxy: Proxy, http_server: ScriptedServer, tmp_path: Path) -> None:
    url = http_server.script("/search", Canned(body=b"ok"))
    client("demo", tmp_path, proxy_url_ebay=proxy.url("http")).get(url, respect_robots=False)
    assert proxy.relayed() == []


def test_a_proxy_refusing_our_password_is_a_configuration_error_that_keeps_the_password_secret(
    proxy: Proxy, http_server: ScriptedServer, tmp_path: Path
) -> None:
    url = http_server.script("/search", Canned(body=b"ok"))
    wrong = proxy.url("http", password="wrong-password")
    with pytest.raises(ScanError) as caught:
        client("ebay", tmp_path, proxy_url_ebay=wrong).get(url, respect_robots=False)
    assert caught.value.error_class is ErrorClass.CONFIGURATION
    assert "wrong-password" not in str(caught.value)
    assert http_server.hits.get("/search") is None


def test_a_proxy_that_is_down_is_a_connection_failure(tmp_path: Path, http_server: ScriptedServer) -> None:
    url = http_server.script("/search", Canned(body=b"ok"))
    down = f"socks5://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{free_port()}"
    with pytest.raises(ScanError) as caught:
        client("ebay", tmp_path, proxy_url_ebay=down).get(url, respect_robots=False)
    assert caught.value.error_class is ErrorClass.CONNECTION
    assert PROXY_PASSWORD not in str(caught.value)


def test_a_tunnel_the_proxy_refuses_names_the_proxy_but_not_its_password(proxy: Proxy, tmp_path: Path) -> None:
    """https goes through a CONNECT tunnel: a refusal comes before any answer of the site."""
    wrong = proxy.url("http", password="wrong-password")
    with pytest.raises(ScanError) as caught:
        client("ebay", tmp_path, proxy_url_ebay=wrong).get("https://127.0.0.1:9/search", respect_robots=False)
    assert caught.value.error_class is ErrorClass.CONNECTION
    assert "the proxy 127.0.0.1" in str(caught.value)
    assert "wrong-password" not in str(caught.value)
