"""The polite HTTP client: timeouts, retries honouring Retry-After, robots.txt, size cap, and
classified errors — against a real local HTTP server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import requests

import scanner.http
from models.settings import Settings, load_settings
from models.tables import ErrorClass
from scanner.errors import ScanError
from scanner.http import PoliteClient, Politeness, PoliteResponse, RobotsCache, classify_response
from scanner.ratelimit import LocalRateLimiter

from .conftest import Canned, ScriptedServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        http_read_timeout_seconds=0.5,
        http_connect_timeout_seconds=0.5,
        http_retries=2,
        http_max_response_bytes=50_000,
        rate_limit_per_minute=6000,
    )


def client_for(settings: Settings) -> PoliteClient:
    return PoliteClient("demo", settings, LocalRateLimiter(settings.rate_limit_per_minute), robots=RobotsCache())


def test_sends_a_real_user_agent(http_server: ScriptedServer, settings: Settings) -> None:
    url = http_server.script("/search", Canned(body=b"<html>results</html>"))
    response = client_for(settings).get(url, respect_robots=False)
    assert response.text == "<html>results</html>"
    assert http_server.user_agents == [settings.http_user_agent]


def test_a_429_with_retry_after_is_waited_out(http_server: ScriptedServer, settings: Settings) -> None:
    url = http_server.script("/search", Canned(429, b"slow down", {"Retry-After": "1"}), Canned(body=b"fine"))
    started = time.monotonic()
    response = client_for(settings).get(url, respect_robots=False)
    assert response.text == "fine"
    hits = http_server.hits["/search"]
    assert len(hits) == 2
    assert hits[1] - hits[0] >= 0.95
    assert time.monotonic() - started < 5


def test_persistent_429_is_classified_with_its_retry_after(http_server: ScriptedServer, settings: Settings) -> None:
    url = http_server.script("/search", Canned(429, b"no", {"Retry-After": "0"}))
    with pytest.raises(ScanError) as caught:
        client_for(settings).get(url, respect_robots=False)
    assert caught.value.error_class is ErrorClass.RATE_LIMITED
    assert caught.value.retry_after == 0
    assert len(http_server.hits["/search"]) == 3  # the first try and two retries


@pytest.mark.parametrize(
    ("canned", "expected"),
    [
        (Canned(500, b"oops"), ErrorClass.SERVER_ERROR),
        (Canned(403, b"<html>denied</html>"), ErrorClass.FORBIDDEN),
        (Canned(401, b"sign in"), ErrorClass.LOGIN_WALL),
        (Canned(404, b"gone"), ErrorClass.HTTP_ERROR),
        (Canned(200, b"<html><title>Pardon Our Interruption</title></html>"), ErrorClass.BLOCKED),
        (Canned(200, b'<html><title lang="en">Security Check</title></html>'), ErrorClass.BLOCKED),
        (Canned(403, b"<html><title>Attention Required! | Cloudflare</title></html>"), ErrorClass.CAPTCHA),
        (Canned(403, b'<div class="g-recaptcha"></div>'), ErrorClass.CAPTCHA),
    ],
)
def test_blocked_responses_are_classified(
    http_server: ScriptedServer, settings: Settings, canned: Canned, expected: ErrorClass
) -> None:
    url = http_server.script("/search", canned)
    with pytest.raises(ScanError) as caught:
        client_for(settings).get(url, respect_robots=False)
    assert caught.value.error_class is expected


def test_a_results_page_carrying_a_captcha_widget_is_the_adapters_to_judge(
    http_server: ScriptedServer, settings: Settings
) -> None:
    """An invisible reCAPTCHA on a page of results is no bot check: only the adapter knows whether
    the page holds results, so a 200 is judged a block page by its title alone."""
    page = (FIXTURES / "ebay" / "search_s_card_recaptcha_us.html").read_bytes()
    assert b"g-recaptcha" in page
    url = http_server.script("/sch/i.html", Canned(200, page))
    assert client_for(settings).get(url, respect_robots=False).content == page


@pytest.mark.parametrize(
    "landed_on",
    [
        "https://consent.google.com/ml?continue=https://shop.example/p/1",
        "https://myprivacy.dpgmedia.nl/consent?siteKey=abc",
        "https://cdn.privacy-mgmt.com/index.html?message_id=1",
    ],
)
def test_a_page_that_landed_on_a_consent_manager_is_blocked(landed_on: str) -> None:
    """A cookie wall answers 200 with no listings: read as results, it would be "nothing found"."""
    page = PoliteResponse(200, landed_on, {}, b"<html><title>Before you continue</title></html>", "utf-8")
    with pytest.raises(ScanError) as caught:
        classify_response(page)
    assert caught.value.error_class is ErrorClass.BLOCKED


def test_a_slow_server_is_a_timeout(http_server: ScriptedServer, tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, http_read_timeout_seconds=0.2, http_retries=0)
    url = http_server.script("/search", Canned(delay=1.0))
    with pytest.raises(ScanError) as caught:
        client_for(settings).get(url, respect_robots=False)
    assert caught.value.error_class is ErrorClass.TIMEOUT


def test_nothing_listening_is_a_connection_error(settings: Settings) -> None:
    with pytest.raises(ScanError) as caught:
        client_for(settings).get("http://127.0.0.1:9/search", respect_robots=False)
    assert caught.value.error_class is ErrorClass.CONNECTION


def test_responses_over_the_size_cap_are_refused(http_server: ScriptedServer, settings: Settings) -> None:
    url = http_server.script("/huge", Canned(body=b"x" * 60_000))
    with pytest.raises(ScanError) as caught:
        client_for(settings).get(url, respect_robots=False)
    assert caught.value.error_class is ErrorClass.TOO_LARGE


def test_robots_txt_is_respected_and_fetched_once(http_server: ScriptedServer, settings: Settings) -> None:
    http_server.script("/robots.txt", Canned(body=b"User-agent: *\nDisallow: /private\n"))
    allowed = http_server.script("/search", Canned(body=b"ok"))
    client = client_for(settings)
    assert client.get(allowed).text == "ok"
    with pytest.raises(ScanError) as caught:
        client.get(http_server.url + "/private/page")
    assert caught.value.error_class is ErrorClass.ROBOTS_DISALLOWED
    assert len(http_server.hits["/robots.txt"]) == 1
    assert "/private/page" not in http_server.hits


def test_missing_robots_txt_allows_everything(http_server: ScriptedServer, settings: Settings) -> None:
    url = http_server.script("/search", Canned(body=b"ok"))
    assert client_for(settings).get(url).text == "ok"


@pytest.mark.parametrize(
    "robots",
    [Canned(503, b"down"), Canned(body=b"User-agent: *\nAllow: /\n" + b"#" * 60_000)],
    ids=["server error", "over the size cap"],
)
def test_a_robots_txt_that_cannot_be_read_keeps_us_out(
    http_server: ScriptedServer, settings: Settings, robots: Canned
) -> None:
    http_server.script("/robots.txt", robots)
    url = http_server.script("/search", Canned(body=b"ok"))
    with pytest.raises(ScanError) as caught:
        client_for(settings).get(url)
    assert caught.value.error_class is ErrorClass.ROBOTS_DISALLOWED
    assert "/search" not in http_server.hits


def test_an_unreachable_site_is_not_crawled_without_its_robots_txt(settings: Settings) -> None:
    with pytest.raises(ScanError) as caught:
        client_for(settings).get("http://127.0.0.1:9/search")
    assert caught.value.error_class is ErrorClass.ROBOTS_DISALLOWED


def test_robots_groups_are_matched_on_our_product_token(http_server: ScriptedServer, settings: Settings) -> None:
    http_server.script("/robots.txt", Canned(body=b"User-agent: *\nAllow: /\n\nUser-agent: DealScout\nDisallow: /\n"))
    url = http_server.script("/search", Canned(body=b"ok"))
    assert settings.robots_user_agent == "DealScout"
    with pytest.raises(ScanError) as caught:
        client_for(settings).get(url)
    assert caught.value.error_class is ErrorClass.ROBOTS_DISALLOWED


def test_a_group_for_the_browser_token_our_user_agent_starts_with_is_not_ours(
    http_server: ScriptedServer, settings: Settings
) -> None:
    http_server.script("/robots.txt", Canned(body=b"User-agent: Mozilla\nDisallow: /\n"))
    url = http_server.script("/search", Canned(body=b"ok"))
    assert settings.http_user_agent.startswith("Mozilla/")
    assert client_for(settings).get(url).text == "ok"


def test_wildcards_and_the_longest_rule_decide_as_rfc_9309_says(
    http_server: ScriptedServer, settings: Settings
) -> None:
    robots = b"User-agent: *\nDisallow: /*?q=\nDisallow: /search\nAllow: /search/public\n"
    http_server.script("/robots.txt", Canned(body=robots))
    client = client_for(settings)
    assert client.get(http_server.script("/search/public", Canned(body=b"ok"))).text == "ok"
    for refused in (http_server.script("/search/private", Canned(body=b"no")), f"{http_server.url}/items?q=lens"):
        with pytest.raises(ScanError) as caught:
            client.get(refused)
        assert caught.value.error_class is ErrorClass.ROBOTS_DISALLOWED


def test_an_operator_may_choose_not_to_obey_robots_txt_for_one_marketplace(
    http_server: ScriptedServer, settings: Settings
) -> None:
    http_server.script("/robots.txt", Canned(body=b"User-agent: *\nDisallow: /\n"))
    url = http_server.script("/search", Canned(body=b"ok"))
    ignoring = settings.model_copy(update={"robots_txt_obey": {"demo": False}})
    assert client_for(ignoring).get(url).text == "ok"
    with pytest.raises(ScanError):
        client_for(settings.model_copy(update={"robots_txt_obey": {"craigslist": False}})).get(url)


def test_robots_txt_is_fetched_again_once_it_expires(
    http_server: ScriptedServer, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    http_server.script(
        "/robots.txt", Canned(body=b"User-agent: *\nAllow: /\n"), Canned(body=b"User-agent: *\nDisallow: /\n")
    )
    url = http_server.script("/search", Canned(body=b"ok"))
    client = client_for(settings)
    assert client.get(url).text == "ok"
    assert client.get(url).text == "ok"
    monkeypatch.setattr(scanner.http, "ROBOTS_TTL_SECONDS", 0.0)
    with pytest.raises(ScanError) as caught:
        client.get(url)
    assert caught.value.error_class is ErrorClass.ROBOTS_DISALLOWED
    assert len(http_server.hits["/robots.txt"]) == 2


def test_only_http_urls_are_fetched(settings: Settings) -> None:
    with pytest.raises(ScanError) as caught:
        client_for(settings).get("file:///etc/passwd", respect_robots=False)
    assert caught.value.error_class is ErrorClass.NOT_ALLOWED


def test_error_messages_leave_out_query_strings(http_server: ScriptedServer, settings: Settings) -> None:
    url = http_server.script("/api", Canned(500, b"no"))
    with pytest.raises(ScanError) as caught:
        client_for(settings).get(url + "?token=hunter2", respect_robots=False)
    assert "hunter2" not in str(caught.value)


def test_text_without_a_declared_charset_is_read_as_utf8(http_server: ScriptedServer, settings: Settings) -> None:
    body = "<html>Gitarre für 日本語</html>".encode()
    url = http_server.script("/search", Canned(body=body, headers={"Content-Type": "text/html"}))
    assert client_for(settings).get(url, respect_robots=False).text == "<html>Gitarre für 日本語</html>"


def test_text_is_decoded_with_its_declared_charset(http_server: ScriptedServer, settings: Settings) -> None:
    body = "<html>Gitarre für 50 €</html>".encode("cp1252")
    url = http_server.script("/search", Canned(body=body, headers={"Content-Type": "text/html; charset=windows-1252"}))
    response = client_for(settings).get(url, respect_robots=False)
    assert (response.status_code, response.content) == (200, body)
    assert response.text == "<html>Gitarre für 50 €</html>"


def test_redirects_are_followed_and_each_hop_is_checked(http_server: ScriptedServer, settings: Settings) -> None:
    http_server.script("/final", Canned(body=b"arrived"))
    start = http_server.script("/start", Canned(302, b"", {"Location": "/final"}))
    checked: list[str] = []
    client = PoliteClient("demo", settings, LocalRateLimiter(6000), robots=RobotsCache(), url_guard=checked.append)
    response = client.get(start, respect_robots=False)
    assert (response.text, response.url) == ("arrived", http_server.url + "/final")
    assert checked == [start, http_server.url + "/final"]


def test_a_redirect_to_a_refused_address_is_never_requested(http_server: ScriptedServer, settings: Settings) -> None:
    http_server.script("/secret", Canned(body=b"internal"))
    start = http_server.script("/start", Canned(302, b"", {"Location": "/secret"}))

    def refuse_secret(url: str) -> None:
        if url.endswith("/secret"):
            raise ScanError(ErrorClass.NOT_ALLOWED, "private")

    local = settings.model_copy(update={"jsonld_allow_private_addresses": True})  # this server is on loopback
    client = PoliteClient("jsonld", local, LocalRateLimiter(6000), robots=RobotsCache(), url_guard=refuse_secret)
    with pytest.raises(ScanError) as caught:
        client.get(start, respect_robots=False)
    assert caught.value.error_class is ErrorClass.NOT_ALLOWED
    assert len(http_server.hits["/start"]) == 1
    assert "/secret" not in http_server.hits


def test_a_redirect_loop_ends_with_an_error(http_server: ScriptedServer, settings: Settings) -> None:
    loop = http_server.script("/loop", Canned(302, b"", {"Location": "/loop"}))
    with pytest.raises(ScanError, match="redirects"):
        client_for(settings).get(loop, respect_robots=False)


def test_threads_scanning_one_site_fetch_its_robots_txt_once(http_server: ScriptedServer, settings: Settings) -> None:
    http_server.script("/robots.txt", Canned(body=b"User-agent: *\nAllow: /\n", delay=0.3))
    url = http_server.script("/search", Canned(body=b"ok"))
    robots = RobotsCache()
    clients = [PoliteClient("demo", settings, LocalRateLimiter(6000), robots=robots) for _ in range(3)]
    threads = [threading.Thread(target=client.get, args=(url,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(http_server.hits["/robots.txt"]) == 1
    assert len(http_server.hits["/search"]) == 3


class RecordingLimiter:
    """Which site each request was booked against."""

    def __init__(self) -> None:
        self.sites: list[str] = []

    def acquire(self, site: str) -> None:
        self.sites.append(site)


def test_each_site_has_its_own_rate_budget(http_server: ScriptedServer, settings: Settings) -> None:
    """The jsonld adapter watches many shops: one shop's requests must not wait for another's."""
    http_server.script("/robots.txt", Canned(status=404))
    http_server.script("/product", Canned(body=b"ok"))
    port = http_server.url.rsplit(":", 1)[1]
    limiter = RecordingLimiter()
    local = settings.model_copy(update={"jsonld_allow_private_addresses": True})  # this server is on loopback
    client = PoliteClient("jsonld", local, limiter, robots=RobotsCache())
    for host in ("127.0.0.1", "localhost", "127.0.0.1"):
        client.get(f"http://{host}:{port}/product", respect_robots=False)
    assert limiter.sites == ["127.0.0.1", "localhost", "127.0.0.1"]


def test_a_workers_scans_reuse_their_thread_s_session_per_marketplace(settings: Settings) -> None:
    sessions = Politeness.for_process(settings).sessions
    first = sessions.session("demo")
    assert sessions.session("demo") is first and sessions.session("ebay") is not first
    elsewhere: list[requests.Session] = []
    thread = threading.Thread(target=lambda: elsewhere.append(sessions.session("demo")))
    thread.start()
    thread.join()
    assert elsewhere[0] is not first  # requests does not promise a Session is safe across threads
