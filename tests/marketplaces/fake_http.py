"""A stand-in for the polite HTTP client: it records what an adapter asks for and answers with
canned `PoliteResponse`s, as the real client returns, so `search()` is tested without any network."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from scanner.http import PoliteResponse

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@dataclass(frozen=True)
class Call:
    method: str
    url: str
    params: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    data: Any = None
    json: Any = None
    auth: tuple[str, str] | None = None


def response(body: str, url: str, status: int = 200) -> PoliteResponse:
    """A response as the polite client returns it after following redirects to `url`."""
    return PoliteResponse(
        status_code=status,
        url=url,
        headers={"Content-Type": "text/html; charset=utf-8"},
        content=body.encode("utf-8"),
        encoding="utf-8",
    )


Answer = Callable[[Call], tuple[str, str]]


@dataclass
class FakeClient:
    """`answer(call)` gives the response body and the final URL of each request."""

    answer: Answer
    calls: list[Call] = field(default_factory=list)

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        respect_robots: bool = True,
    ) -> PoliteResponse:
        return self._answer(Call("GET", url, dict(params or {}), dict(headers or {})))

    def post(
        self,
        url: str,
        *,
        data: Mapping[str, Any] | str | None = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
    ) -> PoliteResponse:
        return self._answer(Call("POST", url, {}, dict(headers or {}), data=data, json=json_body, auth=auth))

    def _answer(self, call: Call) -> PoliteResponse:
        self.calls.append(call)
        body, final_url = self.answer(call)
        return response(body, final_url)

    def paths(self) -> list[str]:
        return [urlsplit(call.url).path for call in self.calls]


def by_path(bodies: dict[str, list[str]]) -> Answer:
    """Answer each request with the next body queued for its URL path."""
    return lambda call: (bodies[urlsplit(call.url).path].pop(0), call.url)


def in_turn(bodies: list[str]) -> Answer:
    """Answer the requests with these bodies, one after the other."""
    return lambda call: (bodies.pop(0), call.url)


def fixture_text(path: str) -> str:
    return (FIXTURES / path).read_text(encoding="utf-8")


def with_query(url: str, params: Mapping[str, Any]) -> str:
    return f"{url}?{urlencode(params, doseq=True)}"
