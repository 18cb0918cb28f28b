"""Sign-in: DASHBOARD_PASSWORD shows nothing but a prompt until the right password is given; an
OIDC provider in Streamlit secrets uses st.login; without either nothing extra is shown."""

from __future__ import annotations

import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from streamlit.testing.v1 import AppTest

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
    assert "Signed in as me@example.com" in [caption.value for caption in app.sidebar.caption]
