"""Sign-in: an OIDC provider from Streamlit secrets (`[auth]`), else DASHBOARD_PASSWORD, else none.

Without either the dashboard is open to whoever can reach it (the README says: keep it on a
private network). `signed_in()` draws the prompt itself and tells the app whether to go on.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

import streamlit as st

from models.settings import Settings

SIGNED_IN_KEY = "auth.signed_in"
_PASSWORD_KEY = "auth.password"


def oidc_providers() -> list[str] | None:
    """None without an `[auth]` section; else the named providers ([] for a single unnamed one)."""
    if not st.secrets.load_if_toml_exists() or "auth" not in st.secrets:
        return None
    section = st.secrets["auth"]
    return [name for name, value in section.items() if isinstance(value, Mapping)]


def _check_password(expected: str) -> None:
    entered = st.session_state.get(_PASSWORD_KEY, "")
    st.session_state[SIGNED_IN_KEY] = hmac.compare_digest(entered.encode(), expected.encode())
    st.session_state[_PASSWORD_KEY] = ""  # never keep what was typed
    st.session_state["auth.failed"] = not st.session_state[SIGNED_IN_KEY]


def _password_prompt(expected: str) -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("Deal Scout")
        with st.form("sign-in"):
            st.text_input("Password", type="password", key=_PASSWORD_KEY)
            st.form_submit_button("Sign in", type="primary", on_click=_check_password, args=(expected,))
        if st.session_state.get("auth.failed"):
            st.error("That password is not right.")


def _oidc_prompt(providers: list[str]) -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("Deal Scout")
        st.write("Sign in to see your deals.")
        named: list[str | None] = list(providers) or [None]
        for provider in named:
            label = f"Sign in with {provider.title()}" if provider else "Sign in"
            st.button(label, type="primary", on_click=st.login, args=(provider,) if provider else ())


def signed_in(settings: Settings) -> bool:
    """True when the viewer may see the app; otherwise the sign-in prompt is all that is drawn."""
    providers = oidc_providers()
    if providers is not None:
        if st.user.is_logged_in:
            st.sidebar.caption(f"Signed in as {st.user.get('email') or st.user.get('name') or 'you'}")
            st.sidebar.button("Sign out", on_click=st.logout)
            return True
        _oidc_prompt(providers)
        return False
    password = settings.dashboard_password.get_secret_value() if settings.dashboard_password else ""
    if not password:
        return True
    if st.session_state.get(SIGNED_IN_KEY):
        st.sidebar.button("Sign out", on_click=st.session_state.update, args=({SIGNED_IN_KEY: False},))
        return True
    _password_prompt(password)
    return False
