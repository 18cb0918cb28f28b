"""Logs: one line per event, text or JSON, scan context on every scan line, secrets never shown."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from models.secrets import mask_secrets
from models.settings import load_settings
from scanner.logs import configure_logging, scan_logger

Configure = Callable[..., io.StringIO]


@pytest.fixture
def configure() -> Iterator[Configure]:
    """`configure(**settings)`: install our logging into a fresh stream; the root logger is
    restored afterwards so other tests keep pytest's handlers and level."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level

    def install(**overrides: object) -> io.StringIO:
        stream = io.StringIO()
        configure_logging(load_settings(**overrides), stream=stream)
        return stream

    yield install
    root.handlers[:] = handlers
    root.setLevel(level)


def test_text_lines_carry_task_search_and_marketplace(configure: Configure) -> None:
    stream = configure(log_format="text")
    scan_logger("task-1", 7, "ebay").info("found %d listings\nsecond line", 3)
    [line] = stream.getvalue().splitlines()
    assert line.endswith(
        " INFO scanner.scan [task_id=task-1 search_id=7 marketplace=ebay] found 3 listings\\nsecond line"
    )
    assert line[:24].endswith("Z")  # UTC timestamp first


def test_json_lines_are_one_object_per_event_traceback_included(configure: Configure) -> None:
    stream = configure(log_format="json")
    try:
        raise ValueError("bad page")
    except ValueError:
        scan_logger("task-2", 8, "craigslist").exception("scan failed")
    [line] = stream.getvalue().splitlines()
    event = json.loads(line)
    assert {key: event[key] for key in ("level", "logger", "message", "task_id", "search_id", "marketplace")} == {
        "level": "ERROR",
        "logger": "scanner.scan",
        "message": "scan failed",
        "task_id": "task-2",
        "search_id": 8,
        "marketplace": "craigslist",
    }
    assert "ValueError: bad page" in event["exc"]


def test_level_comes_from_settings(configure: Configure) -> None:
    stream = configure(log_level="WARNING")
    logging.getLogger("scanner.test").info("quiet")
    logging.getLogger("scanner.test").warning("loud")
    assert [line.split(": ", 1)[1] for line in stream.getvalue().splitlines()] == ["loud"]


def test_secrets_from_settings_and_url_passwords_are_masked(configure: Configure) -> None:
    stream = configure(
        smtp_password="smtp-s3cret",
        database_url="postgresql://scout:db-s3cret@db.internal/scout",
        facebook_cookies="c_user=1; xs=cookie-s3cret",
    )
    log = logging.getLogger("scanner.test")
    log.warning("login with %s failed", "smtp-s3cret")
    log.warning("cannot reach redis://:redis-s3cret@cache:6379/0")
    try:
        raise ConnectionError(
            "postgresql://scout:db-s3cret@db.internal/scout refused; cookies c_user=1; xs=cookie-s3cret"
        )
    except ConnectionError:
        log.exception("database down")
    output = stream.getvalue()
    for secret in ("smtp-s3cret", "db-s3cret", "redis-s3cret", "cookie-s3cret"):
        assert secret not in output
    assert "redis://:***@cache:6379/0" in output
    assert "postgresql://scout:***@db.internal/scout" in output


def test_configuring_twice_does_not_double_the_lines(configure: Configure) -> None:
    configure()
    stream = configure()
    logging.getLogger("scanner.test").warning("once")
    assert len(stream.getvalue().splitlines()) == 1


def test_extra_fields_of_a_call_join_the_scan_context(configure: Configure) -> None:
    stream = configure(log_format="json")
    scan_logger("task-3", 9, None).info("page", extra={"marketplace": "demo"})
    event = json.loads(stream.getvalue())
    assert (event["task_id"], event["search_id"], event["marketplace"]) == ("task-3", 9, "demo")


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("smtp://user:pa55word@mail:587", "smtp://user:***@mail:587"),
        ("https://example.com/path?q=a:b@c", "https://example.com/path?q=a:b@c"),
        ("no url here", "no url here"),
    ],
)
def test_url_password_masking(text: str, masked: str) -> None:
    assert mask_secrets(text) == masked


def test_the_health_token_and_proxy_passwords_are_masked_wherever_they_appear(configure: Configure) -> None:
    stream = configure(
        health_token="health-t0ken-0123456789",
        proxy_url_ebay="socks5://scout:proxy-s3cret@exit.example:1080",
    )
    log = logging.getLogger("scanner.test")
    log.warning("rejected token %s from 10.0.0.5", "health-t0ken-0123456789")
    log.warning("proxy said no to the password %s", "proxy-s3cret")
    output = stream.getvalue()
    assert "health-t0ken-0123456789" not in output and "proxy-s3cret" not in output
