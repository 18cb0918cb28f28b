"""Sign-in: an OIDC provider from Streamlit secrets (`[auth]`), else DASHBOARD_PASSWORD, else none.

Without either the dashboard is open to whoever can reach it: it listens on 127.0.0.1 unless
opened up, and when it listens further without sign-in it says so (log and sidebar). Wrong
passwords make the client wait longer and longer (`SignInThrottle`), so guessing is slow.
`signed_in()` draws the prompt itself and tells the app whether to go on.
"""

from __future__ import annotations

import hmac
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import streamlit as st

from dashboard.components.formatting import plain
from models.settings import Settings, is_loopback

log = logging.getLogger(__name__)

SIGNED_IN_KEY = "auth.signed_in"
_PASSWORD_KEY = "auth.password"
_FAILED_KEY = "auth.failed"  # the message the prompt shows after a refused attempt
_CLIENT_KEY = "auth.client"

FREE_ATTEMPTS = 3  # typos cost nothing; from the fourth wrong password on, each one costs a wait
FIRST_DELAY_SECONDS = 1.0  # then 2, 4, 8 … seconds
MAX_DELAY_SECONDS = 60.0
FORGET_AFTER_SECONDS = 15 * 60.0  # a client quiet this long starts afresh
MAX_CLIENTS = 10_000  # beyond this, the quietest are forgotten (memory stays bounded)


@dataclass
class _Failures:
    count: int
    last_at: float
    not_before: float


class SignInThrottle:
    """Failed sign-ins per client, shared by every session of this dashboard process: after
    FREE_ATTEMPTS wrong passwords a client must wait a delay that doubles with each further one,
    and an attempt made before the wait is over is refused without checking the password."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._clients: dict[str, _Failures] = {}
        self._lock = threading.Lock()

    @staticmethod
    def delay(failures: int) -> float:
        """How long a client waits after its `failures`-th wrong password in a row."""
        if failures <= FREE_ATTEMPTS:
            return 0.0
        return min(MAX_DELAY_SECONDS, FIRST_DELAY_SECONDS * 2.0 ** min(failures - FREE_ATTEMPTS - 1, 32))

    def _current(self, client: str, now: float) -> _Failures | None:
        failures = self._clients.get(client)
        if failures is not None and now - failures.last_at > FORGET_AFTER_SECONDS:
            del self._clients[client]
            return None
        return failures

    def wait_seconds(self, client: str) -> float:
        """How long `client` must still wait before its next attempt is checked (0: go ahead)."""
        with self._lock:
            now = self._clock()
            failures = self._current(client, now)
            return max(0.0, failures.not_before - now) if failures else 0.0

    def failed(self, client: str) -> float:
        """Count a wrong password; returns the wait it imposes on the client's next attempt."""
        with self._lock:
            now = self._clock()
            previous = self._current(client, now)
            count = (previous.count if previous else 0) + 1
            wait = self.delay(count)
            self._clients[client] = _Failures(count=count, last_at=now, not_before=now + wait)
            if len(self._clients) > MAX_CLIENTS:
                quietest = sorted(self._clients, key=lambda key: self._clients[key].last_at)
                for key in quietest[: len(self._clients) - MAX_CLIENTS]:
                    del self._clients[key]
            return wait

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._clients.pop(client, None)


@st.cache_resource
def sign_in_throttle() -> SignInThrottle:
    """One throttle per dashboard process, so that opening new sessions does not reset it."""
    return SignInThrottle()


def client_key() -> str:
    """Who is signing in, as Streamlit tells it publicly (`st.context`): the remote address; for
    a connection from this machine (a local reverse proxy, say) the address that proxy appended
    to X-Forwarded-For; failing both, this browser session."""
    address = st.context.ip_address
    if address:
        return f"ip:{address}"
    forwarded = st.context.headers.get("X-Forwarded-For", "")
    nearest = forwarded.split(",")[-1].strip()
    if nearest:
        return f"forwarded:{nearest}"
    if _CLIENT_KEY not in st.session_state:
        st.session_state[_CLIENT_KEY] = uuid.uuid4().hex
    return f"session:{st.session_state[_CLIENT_KEY]}"


def _wait_message(seconds: float) -> str:
    return f"Too many wrong passwords: wait {math.ceil(seconds)} s before trying again."


def oidc_providers() -> list[str] | None:
    """None without an `[auth]` section; else the named providers ([] for a single unnamed one)."""
    if not st.secrets.load_if_toml_exists() or "auth" not in st.secrets:
        return None
    section = st.secrets["auth"]
    return [name for name, value in section.items() if isinstance(value, Mapping)]


def _check_password(expected: str) -> None:
    entered = st.session_state.get(_PASSWORD_KEY, "")
    st.session_state[_PASSWORD_KEY] = ""  # never keep what was typed
    throttle, client = sign_in_throttle(), client_key()
    wait = throttle.wait_seconds(client)
    if wait > 0:  # not even checked: guessing faster than the wait gains nothing
        st.session_state[_FAILED_KEY] = _wait_message(wait)
        return
    right = hmac.compare_digest(entered.encode(), expected.encode())
    st.session_state[SIGNED_IN_KEY] = right
    if right:
        throttle.succeeded(client)
        st.session_state[_FAILED_KEY] = None
        return
    wait = throttle.failed(client)
    st.session_state[_FAILED_KEY] = "That password is not right." + (
        f" Wait {math.ceil(wait)} s before the next try." if wait else ""
    )


def _password_prompt(expected: str) -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("Deal Scout")
        with st.form("sign-in"):
            st.text_input("Password", type="password", key=_PASSWORD_KEY)
            st.form_submit_button("Sign in", type="primary", on_click=_check_password, args=(expected,))
        failed = st.session_state.get(_FAILED_KEY)
        if failed:
            st.error(failed)


def _oidc_prompt(providers: list[str]) -> None:
    _, middle, _ = st.columns([1, 2, 1])
    with middle:
        st.title("Deal Scout")
        st.write("Sign in to see your deals.")
        named: list[str | None] = list(providers) or [None]
        for provider in named:
            label = f"Sign in with {provider.title()}" if provider else "Sign in"
            st.button(label, type="primary", on_click=st.login, args=(provider,) if provider else ())


@st.cache_resource
def _log_exposed(address: str) -> bool:
    """Log the warning once per process (and address), not on every rerun."""
    log.warning(
        "the dashboard listens on %s without sign-in: anyone who can reach it can read and change "
        "everything; set DASHBOARD_PASSWORD (or an OIDC provider), or listen on 127.0.0.1",
        address or "every interface",
    )
    return True


def _warn_when_exposed() -> None:
    """Without sign-in, say so when the dashboard listens beyond this machine."""
    address = str(st.get_option("server.address") or "")
    if is_loopback(address):
        return
    _log_exposed(address)
    st.sidebar.warning(
        f"Open to the network without sign-in (listening on {plain(address or 'every interface')}). "
        "Set `DASHBOARD_PASSWORD`, or listen on 127.0.0.1.",
        icon=":material/lock_open:",
    )


def signed_in(settings: Settings) -> bool:
    """True when the viewer may see the app; otherwise the sign-in prompt is all that is drawn."""
    providers = oidc_providers()
    if providers is not None:
        if st.user.is_logged_in:
            st.sidebar.caption(f"Signed in as {plain(st.user.get('email') or st.user.get('name') or 'you')}")
            st.sidebar.button("Sign out", on_click=st.logout)
            return True
        _oidc_prompt(providers)
        return False
    password = settings.dashboard_password.get_secret_value() if settings.dashboard_password else ""
    if not password:
        _warn_when_exposed()
        return True
    if st.session_state.get(SIGNED_IN_KEY):
        st.sidebar.button("Sign out", on_click=st.session_state.update, args=({SIGNED_IN_KEY: False},))
        return True
    _password_prompt(password)
    return False
