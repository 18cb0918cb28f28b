"""compose.yaml and the Dockerfile cannot be built here (no Docker engine): check them as files."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.settings import load_settings
from scanner.cli import command_names
from tests.conftest import PROMTOOL, require_prometheus

ROOT = Path(__file__).resolve().parent.parent
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
APP_SERVICES = sorted(name for name, service in SERVICES.items() if "build" in service)
DOCKERFILE = (ROOT / "Dockerfile").read_text()
PYPROJECT: dict[str, Any] = tomllib.loads((ROOT / "pyproject.toml").read_text())
LOCK: dict[str, Any] = tomllib.loads((ROOT / "uv.lock").read_text())


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def group_pins(group: str) -> list[str]:
    """A dependency group's requirements, with the groups it includes."""
    pins: list[str] = []
    for entry in PYPROJECT["dependency-groups"][group]:
        pins += group_pins(entry["include-group"]) if isinstance(entry, dict) else [entry]
    return pins


RUNTIME_PINS: list[str] = PYPROJECT["project"]["dependencies"]
DEV_PINS: list[str] = [pin for group in PYPROJECT["dependency-groups"] for pin in group_pins(group)]
LOCKED: dict[str, str] = {normalized(package["name"]): package["version"] for package in LOCK["package"]}
UV_VERSION = LOCKED["uv"]


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
    stages = re.findall(r"^FROM (\S+)", DOCKERFILE, re.MULTILINE)
    assert stages and all(image == "python:3.11-slim" for image in stages), stages
    users = re.findall(r"^USER (\S+)$", DOCKERFILE, re.MULTILINE)
    assert users and users[-1] not in {"root", "0"}
    assert "HEALTHCHECK" in DOCKERFILE and "/_stcore/health" in DOCKERFILE


def test_image_installs_only_the_runtime_dependencies_from_the_lock() -> None:
    assert re.search(r"^COPY pyproject\.toml uv\.lock ", DOCKERFILE, re.MULTILINE)
    syncs = re.findall(r"\buv sync\b[^\n&]*", DOCKERFILE)
    assert syncs
    for sync in syncs:
        assert "--locked" in sync.split() and "--no-dev" in sync.split(), sync
        assert not re.search(r"--(all-groups|group|only-group|dev)\b", sync), sync
    installs = re.findall(r"\bpip install\b[^\n&]*", DOCKERFILE)
    assert [install.split()[2:] for install in installs] == [[f"uv=={UV_VERSION}"]]
    assert "requirements" not in DOCKERFILE


def test_one_uv_version_everywhere() -> None:
    makefile = re.search(r"^UV_VERSION := (\S+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert makefile and makefile.group(1) == UV_VERSION
    assert f"uv=={UV_VERSION}" in DEV_PINS


def test_make_installs_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text()
    stamp = re.search(r"^\$\(STAMP\): (.+)$", makefile, re.MULTILINE)
    assert stamp and set(stamp.group(1).split("|")[0].split()) == {"pyproject.toml", "uv.lock"}
    assert re.search(r"uv sync --locked\b", makefile)


def test_pyproject_declares_the_project_and_its_dependency_groups() -> None:
    project = PYPROJECT["project"]
    assert project["name"] == "deal-scout" and project["requires-python"] == ">=3.11"
    assert PYPROJECT["build-system"]["build-backend"]
    groups = PYPROJECT["dependency-groups"]
    assert {"test", "dev"} <= set(groups)
    assert {"include-group": "test"} in groups["dev"]
    assert not (ROOT / "requirements.txt").exists(), "pyproject.toml and uv.lock replace requirements.txt"


@pytest.mark.parametrize("requirement", sorted(set(RUNTIME_PINS) | set(DEV_PINS)))
def test_every_dependency_is_pinned_and_locked_at_that_version(requirement: str) -> None:
    pinned = re.fullmatch(r"([A-Za-z0-9_.\-]+)(\[[A-Za-z0-9_,\-]+\])?==([0-9][0-9A-Za-z.]*)", requirement)
    assert pinned, f"{requirement} is not pinned with =="
    name, version = normalized(pinned.group(1)), pinned.group(3)
    assert LOCKED.get(name) == version, f"uv.lock has {name} {LOCKED.get(name)}, pyproject.toml pins {version}"


def test_lock_was_made_from_this_pyproject() -> None:
    project = next(package for package in LOCK["package"] if package["name"] == "deal-scout")
    assert {normalized(dependency["name"]) for dependency in project["metadata"]["requires-dist"]} == {
        normalized(re.split(r"[\[=]", requirement)[0]) for requirement in RUNTIME_PINS
    }
    assert set(project["metadata"]["requires-dev"]) == set(PYPROJECT["dependency-groups"])
    assert LOCK["requires-python"] == PYPROJECT["project"]["requires-python"]


# --- Monitoring (compose profile `monitoring`) ------------------------------------------------
MONITORING = ["prometheus", "grafana", "node-exporter"]
PROMETHEUS_CONFIG: dict[str, Any] = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())


def mounts(name: str) -> dict[str, str]:
    """A service's bind mounts and volumes: where in the container → what on the host."""
    pairs = [volume.split(":")[:2] for volume in SERVICES[name].get("volumes", [])]
    return {target: source for source, target in pairs}


@pytest.mark.parametrize("name", MONITORING)
def test_monitoring_services_are_optional_pinned_and_health_checked(name: str) -> None:
    """`docker compose up` alone starts none of them; `--profile monitoring` does."""
    service = SERVICES[name]
    assert service["profiles"] == ["monitoring"]
    image, _, tag = service["image"].rpartition(":")
    assert image and re.fullmatch(r"v?\d+\.\d+\.\d+", tag), f"{service['image']} is not pinned to a release"
    assert service["healthcheck"]["test"]


@pytest.mark.parametrize("name", MONITORING)
def test_monitoring_services_mount_files_that_exist(name: str) -> None:
    for source in mounts(name).values():
        if source.startswith("./"):
            assert (ROOT / source).exists(), source


def test_prometheus_loads_the_alert_rules_and_scrapes_every_worker_replica() -> None:
    files = mounts("prometheus")
    assert files["/etc/prometheus/prometheus.yml"] == "./deploy/prometheus/prometheus.yml"
    assert [files[rule_file] for rule_file in PROMETHEUS_CONFIG["rule_files"]] == ["./deploy/prometheus/alerts.yml"]
    [job] = [job for job in PROMETHEUS_CONFIG["scrape_configs"] if job["job_name"] == "deal-scout-worker"]
    [discovery] = job["dns_sd_configs"]
    assert discovery["names"] == ["worker"] and discovery["type"] == "A"
    assert discovery["port"] == load_settings().health_port
    assert "worker" in SERVICES and "8000" in SERVICES["worker"]["expose"]


def test_the_compose_prometheus_config_passes_promtool(tmp_path: Path) -> None:
    """promtool checks the scrape configuration and the rule files it names (here: the repository's)."""
    require_prometheus()
    config = {**PROMETHEUS_CONFIG, "rule_files": [str(ROOT / "deploy" / "prometheus" / "alerts.yml")]}
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    done = subprocess.run(
        [str(PROMTOOL), "check", "config", str(tmp_path / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_grafana_is_provisioned_with_prometheus_and_the_dashboard() -> None:
    files = mounts("grafana")
    provisioning = ROOT / files["/etc/grafana/provisioning"]
    [datasource] = yaml.safe_load((provisioning / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert (datasource["type"], datasource["url"]) == ("prometheus", "http://prometheus:9090")
    assert datasource["isDefault"] is True
    [provider] = yaml.safe_load((provisioning / "dashboards" / "deal-scout.yml").read_text())["providers"]
    [mounted] = [target for target, source in files.items() if source == "./deploy/grafana/deal-scout.json"]
    assert Path(mounted).parent == Path(provider["options"]["path"])
    assert SERVICES["grafana"]["depends_on"]["prometheus"]["condition"] == "service_healthy"
