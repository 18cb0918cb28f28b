"""Settings: defaults for the embedded install, one clear line for a bad value, no secret shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.settings import Settings, SettingsError, is_loopback, load_settings
from models.tables import Marketplace


def test_defaults_are_the_embedded_install(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, database_url="", redis_url=None)
    assert settings.database_url == f"sqlite:///{tmp_path / 'deal-scout.db'}"
    assert settings.redis_url is None
    assert settings.huey_sqlite_path == tmp_path / "queue.db"
    assert settings.smtp_tls == "starttls"
    assert settings.ebay_env == "production"
    assert not settings.smtp_configured


def test_postgres_url_gets_the_psycopg3_driver() -> None:
    settings = load_settings(database_url="postgresql://scout:pw@db:5432/scout")
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert not settings.is_sqlite


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_HOST", "mail.example.org")
    monkeypatch.setenv("SMTP_TLS", "ssl")
    monkeypatch.setenv("WORKER_THREADS", "8")
    settings = load_settings()
    assert (settings.smtp_host, settings.smtp_tls, settings.worker_threads) == ("mail.example.org", "ssl", 8)


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"database_url": "not a url"}, "DATABASE_URL"),
        ({"database_url": "mysql://db/scout"}, "DATABASE_URL"),
        ({"redis_url": "http://cache:6379"}, "REDIS_URL"),
        ({"smtp_tls": "tls"}, "SMTP_TLS"),
        ({"smtp_port": 70000}, "SMTP_PORT"),
        ({"ebay_env": "staging"}, "EBAY_ENV"),
        ({"min_scan_interval_minutes": 10, "default_scan_interval_minutes": 5}, "DEFAULT_SCAN_INTERVAL_MINUTES"),
        ({"http_read_timeout_seconds": 0}, "HTTP_READ_TIMEOUT_SECONDS"),
        ({"robots_txt_obey": {"kraigslist": False}}, "ROBOTS_TXT_OBEY"),
        ({"proxy_url_ebay": "ftp://proxy:21"}, "PROXY_URL_EBAY"),
        ({"proxy_url_kijiji": "socks5://"}, "PROXY_URL_KIJIJI"),
    ],
)
def test_a_bad_value_stops_with_one_line_naming_the_setting(overrides: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(**overrides)
    message = str(caught.value)
    assert named in message
    assert "\n" not in message


def test_a_bad_environment_value_is_named_as_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMTP_TLS", "sometimes")
    with pytest.raises(SettingsError, match=r"^Invalid setting SMTP_TLS: "):
        load_settings()


def test_robots_txt_is_obeyed_unless_the_operator_says_otherwise_per_marketplace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().obeys_robots_txt("craigslist")
    monkeypatch.setenv("ROBOTS_TXT_OBEY", '{"craigslist": false}')
    settings = load_settings()
    assert (settings.obeys_robots_txt("craigslist"), settings.obeys_robots_txt("ebay")) == (False, True)
    monkeypatch.setenv("ROBOTS_TXT_OBEY", "false")
    assert not load_settings().obeys_robots_txt("ebay")


def test_every_marketplace_can_have_its_own_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROXY_URL_MARKTPLAATS", "socks5h://nl-exit.example:1080")
    settings = load_settings()
    assert settings.proxy_url("marktplaats") == "socks5h://nl-exit.example:1080"
    assert [m.value for m in Marketplace if settings.proxy_url(m.value)] == ["marktplaats"]
    assert all(f"proxy_url_{m.value}" in Settings.model_fields for m in Marketplace)


def test_secrets_never_appear_in_repr_or_errors() -> None:
    settings = load_settings(
        smtp_password="hunter2-smtp",
        ebay_cert_id="hunter2-ebay",
        database_url="postgresql://scout:hunter2-db@db/scout",
        redis_url="redis://:hunter2-redis@cache:6379/0",
        proxy_url_ebay="http://scout:hunter2-proxy@proxy:3128",
    )
    shown = " ".join(
        [repr(settings), str(settings), settings.database_url_for_display(), settings.redis_url_for_display() or ""]
    )
    for secret in ("hunter2-smtp", "hunter2-ebay", "hunter2-db", "hunter2-redis", "hunter2-proxy"):
        assert secret not in shown
    with pytest.raises(SettingsError) as caught:
        load_settings(smtp_password="hunter2-smtp", smtp_tls="bogus", database_url="postgresql://u:hunter2-db@")
    assert "hunter2" not in str(caught.value)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    missing = [name.upper() for name in Settings.model_fields if f"`{name.upper()}`" not in readme]
    assert missing == []


def test_servers_listen_on_this_machine_unless_opened_up(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HEALTH_BIND", "HEALTH_TOKEN", "DASHBOARD_BIND"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.health_bind, settings.dashboard_bind, settings.health_token) == ("127.0.0.1", "127.0.0.1", None)
    monkeypatch.setenv("HEALTH_BIND", "0.0.0.0")
    monkeypatch.setenv("HEALTH_TOKEN", "  a-long-enough-health-token  ")
    settings = load_settings()
    assert settings.health_bind == "0.0.0.0"
    assert (
        settings.health_token is not None and settings.health_token.get_secret_value() == "a-long-enough-health-token"
    )
    assert "a-long-enough-health-token" not in repr(settings)
    monkeypatch.setenv("HEALTH_TOKEN", "")
    assert load_settings().health_token is None


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"health_bind": "0.0.0.0; rm -rf /"}, "HEALTH_BIND"),
        ({"dashboard_bind": ""}, "DASHBOARD_BIND"),
        ({"health_token": "hunter2"}, "HEALTH_TOKEN"),
    ],
)
def test_bad_bind_addresses_and_a_guessable_token_are_refused(overrides: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError, match=named) as caught:
        load_settings(**overrides)
    assert "hunter2" not in str(caught.value)  # a token is never echoed


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("127.0.0.1", True), ("::1", True), ("[::1]", True), ("localhost", True), ("127.1.2.3", True)]
    + [("0.0.0.0", False), ("", False), ("::", False), ("192.168.1.5", False), ("dashboard.example", False)],
)
def test_which_addresses_keep_a_server_to_this_machine(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback
