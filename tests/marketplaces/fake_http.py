"""A stand-in for the polite HTTP client: it records what an adapter asks for and answers with
canned `requests.Response` objects, so `search()` is tested without any network."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@dataclass(frozen=True)
class Call:
    url: str
    params: dict[str, Any]
    headers: dict[str, str]


def response(body: str, url: str, status: int = 200) -> requests.Response:
    """A response as requests would return it after following redirects to `url`."""
    built = requests.Response()
    built.status_code = status
    built._content = body.encode("utf-8")
    built.encoding = "utf-8"
    built.url = url
    built.headers["Content-Type"] = "text/html; charset=utf-8"
    return built


@dataclass
class FakeClient:
    """`answer(url, params)` gives the response body and the final URL of each GET."""

    answer: Callable[[str, dict[str, Any]], tuple[str, str]]
    calls: list[Call] = field(default_factory=list)

    def get(
        self,
        url: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        respect_robots: bool = True,
    ) -> requests.Response:
        self.calls.append(Call(url, dict(params or {}), dict(headers or {})))
        body, final_url = self.answer(url, dict(params or {}))
        return response(body, final_url)

    def post(self, url: str, **_kwargs: Any) -> requests.Response:
        raise AssertionError(f"adapter unexpectedly POSTed to {url}")


def fixture_text(path: str) -> str:
    return (FIXTURES / path).read_text(encoding="utf-8")


def with_query(url: str, params: Mapping[str, Any]) -> str:
    return f"{url}?{urlencode(params, doseq=True)}"
