"""The small HTTP server each worker runs: `/health`, `/health/detailed` (the core's checker)
and `/metrics` (Prometheus text) from a daemon thread."""

from __future__ import annotations

import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import CollectorRegistry

from models.health import HealthChecker, is_healthy
from scanner.metrics import build_registry, render

log = logging.getLogger(__name__)


class HealthServer(ThreadingHTTPServer):
    """`/health`, `/health/detailed` and `/metrics` for one worker process."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], checker: HealthChecker, registry: CollectorRegistry) -> None:
        self.checker = checker
        self.registry = registry
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


class _Handler(BaseHTTPRequestHandler):
    server: HealthServer

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path in ("/health", "/health/detailed"):
            report = self.server.checker.check(detailed=path == "/health/detailed")
            status = HTTPStatus.OK if is_healthy(report) else HTTPStatus.SERVICE_UNAVAILABLE
            self._send(status, json.dumps(report, indent=2).encode(), "application/json")
        elif path == "/metrics":
            body, content_type = render(self.server.registry)
            self._send(HTTPStatus.OK, body, content_type)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found: try /health, /health/detailed or /metrics\n", "text/plain")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's signature)
        log.debug("health server: " + format, *args)


def serve_health(checker: HealthChecker, port: int, host: str = "0.0.0.0") -> HealthServer | None:
    """Serve health and metrics from a daemon thread; None (logged) when the port is taken,
    so a second worker on the same machine runs on without its own endpoint."""
    try:
        server = HealthServer((host, port), checker, build_registry(checker.engine, checker.queue))
    except OSError as error:
        log.warning(
            "health and metrics NOT served: cannot listen on %s:%s (%s); this worker carries on without "
            "them (another worker on this machine probably has the port; set HEALTH_PORT per worker)",
            host,
            port,
            error.strerror or error,
        )
        return None
    threading.Thread(target=server.serve_forever, name="health-server", daemon=True).start()
    log.info("health and metrics on http://%s:%s/health and /metrics", host, server.port)
    return server
