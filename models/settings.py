"""One typed settings object, read once from the environment (and an optional `.env`).

Dashboard and worker both call `get_settings()`; nothing else in the code base reads
`os.environ`. A bad value stops start-up with one line naming the setting, and secrets are
`SecretStr` so they never show up in a repr, a log line or a traceback.
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from models.tables import Marketplace

SmtpTls = Literal["starttls", "ssl", "none"]
EbayEnv = Literal["sandbox", "production"]
LogFormat = Literal["text", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

_DATABASE_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}
_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
_BIND_ADDRESS = re.compile(r"^[A-Za-z0-9.:-]{1,253}$")  # an IPv4/IPv6 address or a host name
HEALTH_TOKEN_MIN_LENGTH = 16


class SettingsError(Exception):
    """A setting has a value Deal Scout cannot start with; the message names the setting."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    data_dir: Path = Field(Path("data"), description="Where the embedded SQLite files live.")
    # URLs may carry passwords: kept out of repr, shown only through the *_for_display methods.
    database_url: str = Field("", repr=False, description="SQLAlchemy URL; empty means a SQLite file in DATA_DIR.")
    redis_url: str | None = Field(None, repr=False, description="Redis for the queue; unset means SQLite storage.")

    smtp_host: str | None = None
    smtp_port: int = Field(587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "deal-scout@localhost"
    smtp_tls: SmtpTls = "starttls"
    smtp_timeout_seconds: float = Field(20.0, gt=0)

    ebay_app_id: str | None = None
    ebay_cert_id: SecretStr | None = None
    ebay_env: EbayEnv = "production"

    ebay_daily_call_limit: int = Field(5000, ge=1)
    facebook_cookies: SecretStr | None = None
    jsonld_allow_private_addresses: bool = False

    http_connect_timeout_seconds: float = Field(5.0, gt=0)
    http_read_timeout_seconds: float = Field(20.0, gt=0)
    http_retries: int = Field(3, ge=0, le=10)
    http_max_response_bytes: int = Field(5_000_000, ge=10_000)
    http_user_agent: str = "Mozilla/5.0 (compatible; DealScout/1.0; self-hosted deal monitor)"
    # the product token robots.txt groups are matched on (RFC 9309 §2.2.1), not the whole User-Agent
    robots_user_agent: str = "DealScout"
    # obey robots.txt: true or false for every marketplace, or per marketplace ({"craigslist": false});
    # an operator's choice for their own personal monitoring, as Scrapy's ROBOTSTXT_OBEY is
    robots_txt_obey: bool | dict[str, bool] = True
    # PROXY_URL_<MARKETPLACE>: that marketplace's requests (robots.txt too) go through this proxy,
    # http://, https:// or socks5:// (socks5h:// resolves names at the proxy); may hold a password.
    proxy_url_demo: SecretStr | None = None
    proxy_url_ebay: SecretStr | None = None
    proxy_url_craigslist: SecretStr | None = None
    proxy_url_facebook: SecretStr | None = None
    proxy_url_mercari: SecretStr | None = None
    proxy_url_jsonld: SecretStr | None = None
    proxy_url_kijiji: SecretStr | None = None
    proxy_url_marktplaats: SecretStr | None = None
    rate_limit_per_minute: int = Field(30, ge=1)
    breaker_failure_threshold: int = Field(5, ge=1)
    breaker_cooldown_seconds: int = Field(300, ge=1)

    min_scan_interval_minutes: int = Field(5, ge=1)
    default_scan_interval_minutes: int = Field(15, ge=1)
    scan_max_pages: int = Field(3, ge=1, le=50)
    scan_retries: int = Field(3, ge=0)
    scan_retry_delay_seconds: int = Field(30, ge=1)
    listing_ended_after_hours: int = Field(48, ge=1)

    market_window_days: int = Field(30, ge=1)
    market_min_samples: int = Field(5, ge=1)
    price_drop_min_amount: Decimal = Field(Decimal("1.00"), ge=0)
    repost_window_days: int = Field(7, ge=0)
    notify_max_attempts: int = Field(5, ge=1)
    notify_retry_delay_seconds: int = Field(30, ge=1)
    notify_give_up_after_hours: int = Field(24, ge=0)  # an SMTP outage fails an alert only after this long

    task_log_retention_days: int = Field(30, ge=1)
    notification_retention_days: int = Field(90, ge=1)

    worker_threads: int = Field(4, ge=1, le=64)
    worker_shutdown_timeout_seconds: float = Field(50.0, gt=0)
    health_port: int = Field(8000, ge=1, le=65535)
    # loopback unless opened up (compose sets 0.0.0.0 for its workers); /health/detailed needs the token when set
    health_bind: str = "127.0.0.1"
    health_token: SecretStr | None = None
    demo_market_url: str = "http://127.0.0.1:8765"
    dashboard_port: int = Field(8501, ge=1, le=65535)
    dashboard_password: SecretStr | None = None
    dashboard_bind: str = "127.0.0.1"  # what `make run` serves the dashboard on
    log_level: LogLevel = "INFO"
    log_format: LogFormat = "text"

    @field_validator("health_bind", "dashboard_bind")
    @classmethod
    def _bind_is_an_address(cls, value: str) -> str:
        if not _BIND_ADDRESS.match(value.strip()):
            raise ValueError("not an address to listen on (e.g. 127.0.0.1, or 0.0.0.0 for every interface)")
        return value.strip()

    @field_validator("health_token")
    @classmethod
    def _health_token_is_long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        if len(value.get_secret_value().strip()) < HEALTH_TOKEN_MIN_LENGTH:
            raise ValueError(f"too short to be a secret: use at least {HEALTH_TOKEN_MIN_LENGTH} characters")
        return SecretStr(value.get_secret_value().strip())

    @field_validator("robots_txt_obey")
    @classmethod
    def _robots_txt_marketplaces_exist(cls, value: bool | dict[str, bool]) -> bool | dict[str, bool]:
        known = {marketplace.value for marketplace in Marketplace}
        unknown = sorted(set(value) - known) if isinstance(value, dict) else []
        if unknown:
            raise ValueError(f"unknown marketplace {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        return value

    def obeys_robots_txt(self, marketplace: str) -> bool:
        if isinstance(self.robots_txt_obey, bool):
            return self.robots_txt_obey
        return self.robots_txt_obey.get(marketplace, True)

    @field_validator(*(f"proxy_url_{marketplace.value}" for marketplace in Marketplace))
    @classmethod
    def _proxy_url_is_supported(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        parts = urlsplit(value.get_secret_value().strip())
        if parts.scheme not in _PROXY_SCHEMES or not parts.hostname:
            raise ValueError(
                f"not a proxy URL (expected {', '.join(f'{scheme}://host:port' for scheme in _PROXY_SCHEMES)})"
            )
        return SecretStr(value.get_secret_value().strip())

    def proxy_url(self, marketplace: str) -> str | None:
        """The proxy this marketplace's requests go through, None for a direct connection."""
        secret: SecretStr | None = getattr(self, f"proxy_url_{marketplace}", None)
        return secret.get_secret_value() if secret is not None else None

    def proxy_for_display(self, marketplace: str) -> str:
        """`via socks5://proxy:1080` without the credentials, or `direct`, for `marketplace status`."""
        proxy = self.proxy_url(marketplace)
        if proxy is None:
            return "direct"
        parts = urlsplit(proxy)
        return f"via {parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        if not value:
            return value
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError("not a database URL (expected sqlite:///path or postgresql://host/db)") from None
        backend = url.get_backend_name()
        if backend not in _DATABASE_DRIVERS:
            raise ValueError(f"unsupported database '{backend}' (use sqlite or postgresql)")
        if backend == "postgresql" and not url.host and not url.query.get("host"):
            raise ValueError("a PostgreSQL URL needs a host")
        return url.set(drivername=_DATABASE_DRIVERS[backend]).render_as_string(hide_password=False)

    @field_validator("redis_url")
    @classmethod
    def _redis_url_is_supported(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(_REDIS_SCHEMES):
            raise ValueError("not a Redis URL (expected redis://host:6379/0)")
        return value

    @field_validator("demo_market_url")
    @classmethod
    def _demo_market_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _defaults_respect_minimum(self) -> Settings:
        if self.default_scan_interval_minutes < self.min_scan_interval_minutes:
            raise ValueError(
                f"DEFAULT_SCAN_INTERVAL_MINUTES ({self.default_scan_interval_minutes}) is below "
                f"MIN_SCAN_INTERVAL_MINUTES ({self.min_scan_interval_minutes})"
            )
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'deal-scout.db'}"
        return self

    @property
    def is_sqlite(self) -> bool:
        return make_url(self.database_url).get_backend_name() == "sqlite"

    @property
    def huey_sqlite_path(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def smtp_configured(self) -> bool:
        return bool(self.smtp_host)

    def database_url_for_display(self) -> str:
        """The database URL with any password masked, for health output and the dashboard."""
        return make_url(self.database_url).render_as_string(hide_password=True)

    def redis_url_for_display(self) -> str | None:
        return _mask_url_password(self.redis_url) if self.redis_url else None

    def ensure_data_dir(self) -> None:
        """The embedded SQLite files need their folder; production paths never touch it."""
        if self.is_sqlite or not self.redis_url:
            self.data_dir.mkdir(parents=True, exist_ok=True)


def is_loopback(address: str) -> bool:
    """Whether listening on `address` keeps a server to this machine ("" and 0.0.0.0 do not)."""
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: it may resolve to anything


def _mask_url_password(url: str) -> str:
    try:
        parsed: URL = make_url(url)
    except ArgumentError:
        return url
    return parsed.render_as_string(hide_password=True)


def _describe(error: ValidationError) -> str:
    """One line per bad setting, naming it as the environment variable, never echoing its value."""
    lines = []
    for item in error.errors(include_input=False, include_url=False):
        name = ".".join(str(part) for part in item["loc"]).upper() or "settings"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"Invalid setting {name}: {message}" if item["loc"] else f"Invalid settings: {message}")
    return "; ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Read and validate settings, turning pydantic's report into one clear `SettingsError`."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise SettingsError(_describe(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
