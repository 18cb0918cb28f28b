"""The small HTTP server each worker runs: `/health`, `/health/detailed` (the core's checker)
and `/metrics` (Prometheus text) from a daemon thread.

It listens on HEALTH_BIND (127.0.0.1 unless opened up). `/health` stays anonymous and cheap for
probes; with HEALTH_TOKEN set, `/health/detailed` needs the token (`Authorization: Bearer …` or
`?token=…`) and `/health` shows callers without it no worker names, SMTP host or error details.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from prometheus_client import CollectorRegistry

from models.health import HealthChecker, is_healthy
from models.settings import is_loopback
from scanner.metrics import build_registry, render

log = logging.getLogger(__name__)


class HealthServer(ThreadingHTTPServer):
    """`/health`, `/health/detailed` and `/metrics` for one worker process."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], checker: HealthChecker, registry: CollectorRegistry) -> None:
        self.checker = checker
        self.registry = registry
        token = checker.settings.health_token
        self.token = token.get_secret_value() if token is not None else None
        super().__init__(address, _Handler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def for_anonymous(report: dict[str, Any]) -> dict[str, Any]:
    """`/health` for a caller without the token: the states, without the worker's host:pid, the
    SMTP host or error details (only their class), which tell an outsider where to look next."""
    shown = dict(report)
    beat = shown.get("worker_heartbeat")
    if isinstance(beat, dict):
        shown["worker_heartbeat"] = {key: value for key, value in beat.items() if key != "worker_id"}
    smtp = shown.get("smtp")
    if isinstance(smtp, str) and smtp.startswith("configured"):
        shown["smtp"] = "configured"
    shown["errors"] = {check: text.split(":", 1)[0] for check, text in report.get("errors", {}).items()}
    return shown


class _Handler(BaseHTTPRequestHandler):
    server: HealthServer

    def _authorized(self) -> bool:
        """True without a HEALTH_TOKEN, else when the request carries it (compared in constant time)."""
        expected = self.server.token
        if expected is None:
            return True
        header = self.headers.get("Authorization", "")
        scheme, _, credentials = header.partition(" ")
        offered = [credentials.strip()] if scheme.lower() == "bearer" else []
        offered += parse_qs(urlsplit(self.path).query).get("token", [])
        return any(hmac.compare_digest(value.encode(), expected.encode()) for value in offered)

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        if path == "/health/detailed" and not self._authorized():
            body = b'{"error": "HEALTH_TOKEN required: Authorization: Bearer <token> or ?token=<token>"}\n'
            self._send(HTTPStatus.UNAUTHORIZED, body, "application/json", {"WWW-Authenticate": 'Bearer realm="health"'})
        elif path in ("/health", "/health/detailed"):
            report = self.server.checker.check(detailed=path == "/health/detailed")
            status = HTTPStatus.OK if is_healthy(report) else HTTPStatus.SERVICE_UNAVAILABLE
            shown = report if self._authorized() else for_anonymous(report)
            self._send(status, json.dumps(shown, indent=2).encode(), "application/json")
        elif path == "/metrics":
            body, content_type = render(self.server.registry)
            self._send(HTTPStatus.OK, body, content_type)
        else:
            self._send(HTTPStatus.NOT_FOUND, b"not found: try /health, /health/detailed or /metrics\n", "text/plain")

    def _send(self, status: HTTPStatus, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002  (http.server's signature)
        message = format % args
        if self.server.token:
            message = message.replace(self.server.token, "***")  # a `?token=` is in the request line
        log.debug("health server: %s", message)


def serve_health(checker: HealthChecker, port: int, host: str | None = None) -> HealthServer | None:
    """Serve health and metrics from a daemon thread on `host` (default HEALTH_BIND); None
    (logged) when the port is taken, so a second worker on the same machine runs on without
    its own endpoint."""
    host = checker.settings.health_bind if host is None else host
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
    if not is_loopback(host) and server.token is None:
        log.warning(
            "health server listens on %s without HEALTH_TOKEN: anyone who can reach port %s may read "
            "/health/detailed (workers, breakers, alert counts); set HEALTH_TOKEN to keep it private",
            host,
            server.port,
        )
    return server
