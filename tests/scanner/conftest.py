"""Fixtures for scanner tests: a scriptable local HTTP server (each path answers with a queue of
canned responses), settings that point scans at the test database and the demo market, and
a worker of those settings on the test database and a fresh queue."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from demo_market import DemoMarket
from models import settings as settings_module
from models.settings import Settings
from scanner.queue import TaskQueue
from scanner.worker import Worker


@dataclass
class Canned:
    status: int = 200
    body: bytes = b"<html><body>ok</body></html>"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class ScriptedServer:
    def __init__(self) -> None:
        self.routes: dict[str, deque[Canned]] = defaultdict(deque)
        self.hits: dict[str, list[float]] = defaultdict(list)
        self.user_agents: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                server.hits[path].append(time.monotonic())
                server.user_agents.append(self.headers.get("User-Agent", ""))
                queue = server.routes.get(path)
                canned = (queue.popleft() if len(queue) > 1 else queue[0]) if queue else Canned(404, b"not found")
                if canned.delay:
                    time.sleep(canned.delay)
                self.send_response(canned.status)
                for name, value in canned.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(canned.body)))
                self.end_headers()
                try:
                    self.wfile.write(canned.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_POST = do_GET  # noqa: N815  (the name http.server looks for)

            def log_message(self, *_args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def script(self, path: str, *responses: Canned) -> str:
        """Answer `path` with these responses in turn (the last one repeats); returns its URL."""
        self.routes[path] = deque(responses)
        return self.url + path


@pytest.fixture
def http_server() -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


@pytest.fixture
def scan_settings(
    engine: Engine, market: DemoMarket, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Settings]:
    """Settings for scans against the test database and the local demo market, installed through
    the environment as the process-wide settings too (the marketplace adapters read them)."""
    overrides: dict[str, object] = {
        "data_dir": tmp_path,
        "database_url": engine.url.render_as_string(hide_password=False),
        "demo_market_url": market.url,
        "rate_limit_per_minute": 60_000,
        "http_retries": 1,
        "http_read_timeout_seconds": 2,
        "breaker_failure_threshold": 3,
        "breaker_cooldown_seconds": 1,
        "scan_max_pages": 3,
    }
    for name, value in overrides.items():
        monkeypatch.setenv(name.upper(), str(value))
    settings_module.get_settings.cache_clear()
    settings = settings_module.get_settings()
    yield settings
    settings_module.get_settings.cache_clear()


@pytest.fixture
def worker(scan_settings: Settings, engine: Engine, queue: TaskQueue) -> Worker:
    """The worker's tasks, run with the scan settings on the test database, registered on a fresh
    queue of each backend."""
    return Worker(scan_settings, engine=engine, queue=queue)
