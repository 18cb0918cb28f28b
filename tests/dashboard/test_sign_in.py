"""Sign-in: DASHBOARD_PASSWORD shows nothing but a prompt until the right password is given; an
OIDC provider in Streamlit secrets uses st.login; without either nothing extra is shown."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

from dashboard.components import auth
from models.settings import get_settings
from tests.dashboard.conftest import APP, open_app, texts

OIDC = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "not-a-real-secret",
    "client_id": "deal-scout",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "https://id.example/.well-known/openid-configuration",
}


@pytest.fixture
def password(app_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "correct horse")
    get_settings.cache_clear()
    st.cache_resource.clear()
    return "correct horse"


def sign_in(app: AppTest, attempt: str) -> AppTest:
    app.text_input(key="auth.password").input(attempt)
    next(button for button in app.button if button.label == "Sign in").click().run()
    return app


def test_with_a_password_only_the_prompt_is_shown(password: str) -> None:
    app = open_app()
    assert not app.exception
    assert texts(app, "title") == ["Deal Scout"]
    assert not app.dataframe and not app.get("page_link")
    assert app.text_input(key="auth.password").proto.type == app.text_input(key="auth.password").proto.PASSWORD


def test_a_wrong_password_is_refused(password: str) -> None:
    app = sign_in(open_app(), "Tr0ub4dor&3")
    assert "That password is not right." in texts(app, "error")
    assert texts(app, "title") == ["Deal Scout"]
    assert app.text_input(key="auth.password").value == ""  # what was typed is not kept


def test_the_right_password_opens_the_app_for_this_session(password: str) -> None:
    app = sign_in(open_app(), password)
    assert texts(app, "title") == ["Deals"]
    app.switch_page("views/searches.py").run()
    assert texts(app, "title") == ["Searches"]


def test_without_a_password_or_provider_the_app_opens_directly(app_engine: Engine) -> None:
    app = open_app()
    assert texts(app, "title") == ["Deals"]
    assert not [button for button in app.sidebar.button if button.label == "Sign out"]


def oidc_app(user: dict[str, object]) -> AppTest:
    app = AppTest.from_file(str(APP), default_timeout=30)
    app.secrets["auth"] = OIDC
    app.user = user
    return app.run()


def test_with_an_oidc_provider_a_signed_out_viewer_gets_the_sign_in_button(app_engine: Engine) -> None:
    app = oidc_app({"is_logged_in": False})
    assert texts(app, "title") == ["Deal Scout"]
    assert [button.label for button in app.button] == ["Sign in"]
    assert not app.text_input


def test_with_an_oidc_provider_a_signed_in_viewer_sees_the_app(app_engine: Engine) -> None:
    app = oidc_app({"is_logged_in": True, "email": "me@example.com"})
    assert texts(app, "title") == ["Deals"]
    # Markdown-escaped (the address comes from the identity provider), shown as typed
    assert r"Signed in as me@example\.com" in [caption.value for caption in app.sidebar.caption]


# Issue 20, defect 11: a growing delay after failed sign-ins, per client; a warning when the
# dashboard listens beyond this machine without sign-in.


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_wrong_passwords_cost_a_wait_that_doubles_per_client() -> None:
    clock = Clock()
    throttle = auth.SignInThrottle(clock)
    waits = [throttle.failed("ip:203.0.113.9") for _ in range(auth.FREE_ATTEMPTS)]
    assert waits == [0.0] * auth.FREE_ATTEMPTS  # typos are free
    assert throttle.wait_seconds("ip:203.0.113.9") == 0
    assert throttle.failed("ip:203.0.113.9") == 1.0
    assert throttle.wait_seconds("ip:203.0.113.9") == 1.0
    assert throttle.wait_seconds("ip:198.51.100.7") == 0  # another client is not slowed down
    clock.now += 1.0
    assert [throttle.failed("ip:203.0.113.9") for _ in range(3)] == [2.0, 4.0, 8.0]
    assert max(throttle.failed("ip:203.0.113.9") for _ in range(20)) == auth.MAX_DELAY_SECONDS
    throttle.succeeded("ip:203.0.113.9")
    assert throttle.wait_seconds("ip:203.0.113.9") == 0


def test_a_quiet_client_is_forgotten() -> None:
    clock = Clock()
    throttle = auth.SignInThrottle(clock)
    for _ in range(auth.FREE_ATTEMPTS + 3):
        throttle.failed("session:a")
    clock.now += auth.FORGET_AFTER_SECONDS + 1
    assert throttle.wait_seconds("session:a") == 0
    assert throttle.failed("session:a") == 0  # starts afresh


def test_300_wrong_passwords_cost_hours_not_seconds() -> None:
    """The issue's 300 guesses in 42 s: now each must wait out the one before."""
    total = sum(auth.SignInThrottle.delay(failures) for failures in range(1, 301))
    assert total > 4 * 3600


def test_guessing_is_refused_until_the_wait_is_over_even_the_right_password(
    password: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock, key = Clock(), "ip:203.0.113.9"
    throttle = auth.SignInThrottle(clock)
    monkeypatch.setattr(auth, "sign_in_throttle", lambda: throttle)
    monkeypatch.setattr(auth, "client_key", lambda: key)  # as a remote browser would be
    app = open_app()
    for _ in range(auth.FREE_ATTEMPTS):
        sign_in(app, "wrong")
        assert texts(app, "error") == ["That password is not right."]
    sign_in(app, "wrong")
    assert texts(app, "error") == ["That password is not right. Wait 1 s before the next try."]
    sign_in(app, password)  # too soon: not even checked
    assert texts(app, "error") == ["Too many wrong passwords: wait 1 s before trying again."]
    assert texts(app, "title") == ["Deal Scout"]
    other_tab = sign_in(open_app(), password)  # a new session of the same client waits too
    assert texts(other_tab, "title") == ["Deal Scout"]
    clock.now += 1
    assert texts(sign_in(app, password), "title") == ["Deals"]


@pytest.fixture
def listening_everywhere() -> Iterator[None]:
    before = st.get_option("server.address")
    st.config.set_option("server.address", "0.0.0.0")
    yield
    st.config.set_option("server.address", before)


def test_listening_beyond_this_machine_without_sign_in_is_warned_about(
    app_engine: Engine, listening_everywhere: None, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="dashboard.components.auth"):
        app = open_app()
    assert texts(app, "title") == ["Deals"]
    [warning] = [element.value for element in app.sidebar.warning]
    assert "Open to the network without sign-in (listening on 0\\.0\\.0\\.0)" in warning
    assert "DASHBOARD_PASSWORD" in warning
    assert "listens on 0.0.0.0 without sign-in" in caplog.text


def test_no_warning_with_a_password(app_engine: Engine, password: str, listening_everywhere: None) -> None:
    app = open_app()
    assert texts(app, "title") == ["Deal Scout"]  # the prompt
    assert not app.sidebar.warning


def test_no_warning_on_this_machine(app_engine: Engine) -> None:
    assert st.get_option("server.address") == "127.0.0.1"  # .streamlit/config.toml: safe by default
    assert not open_app().sidebar.warning
