"""compose.yaml and the Dockerfile cannot be built here (no Docker engine): check them as files."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.settings import load_settings
from scanner.cli import command_names

ROOT = Path(__file__).resolve().parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = sorted(name for name, service in SERVICES.items() if "build" in service)


def test_compose_has_the_production_services() -> None:
    assert {"dashboard", "worker", "postgres", "redis", "mailpit", "migrate"} <= set(SERVICES)


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_app_command_names_a_real_entry_point(name: str) -> None:
    command = SERVICES[name]["command"]
    if command[:3] == ["python", "-m", "scanner"]:
        assert command[3] in command_names()
    else:
        assert command[:2] == ["streamlit", "run"]
        assert (ROOT / command[2]).is_file()


def test_worker_scales_out_and_stops_gracefully() -> None:
    worker = SERVICES["worker"]
    assert "ports" not in worker and "container_name" not in worker
    assert worker.get("stop_signal", "SIGTERM") == "SIGTERM"  # the worker's graceful signal
    grace = int(worker["stop_grace_period"].removesuffix("s"))
    assert grace > load_settings().worker_shutdown_timeout_seconds


def test_worker_health_is_checked_on_its_health_port() -> None:
    probe = " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert f"127.0.0.1:{load_settings().health_port}/health" in probe


@pytest.mark.parametrize("name", ["dashboard", "worker"])
def test_app_waits_for_healthy_dependencies(name: str) -> None:
    depends = SERVICES[name]["depends_on"]
    assert depends["postgres"]["condition"] == "service_healthy"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    environment = SERVICES[name]["environment"]
    assert environment["DATABASE_URL"].startswith("postgresql://")
    assert environment["REDIS_URL"].startswith("redis://")


@pytest.mark.parametrize("name", ["postgres", "redis", "mailpit"])
def test_dependencies_have_healthchecks(name: str) -> None:
    assert SERVICES[name]["healthcheck"]["test"]


def test_postgres_keeps_its_data_in_a_volume() -> None:
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in SERVICES["postgres"]["volumes"])


def test_dockerfile_is_slim_non_root_with_streamlit_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM python:3\.11-slim$", dockerfile, re.MULTILINE)
    users = re.findall(r"^USER (\S+)$", dockerfile, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert "HEALTHCHECK" in dockerfile and "/_stcore/health" in dockerfile
    assert "pip install -r requirements.txt" in dockerfile


def test_requirements_are_pinned() -> None:
    lines = [line.strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    requirements = [line for line in lines if line and not line.startswith("#")]
    assert requirements
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[0-9][0-9A-Za-z.]*", line) for line in requirements), requirements
