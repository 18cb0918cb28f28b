"""deploy/prometheus/alerts.yml: promtool accepts it, its unit tests (alerts_test.yml) see every
alert pending, firing and resolved, and every alert says how bad it is and where the runbook
tells what to do."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ..conftest import PROMTOOL, require_prometheus
from .conftest import ROOT

PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"
ALERTS_FILE = PROMETHEUS_DIR / "alerts.yml"
UNIT_TESTS_FILE = PROMETHEUS_DIR / "alerts_test.yml"
RULES: list[dict[str, Any]] = [
    rule for group in yaml.safe_load(ALERTS_FILE.read_text())["groups"] for rule in group["rules"]
]
ALERTS = {rule["alert"]: rule for rule in RULES if "alert" in rule}
RECORDED = [rule["record"] for rule in RULES if "record" in rule]
UNIT_TESTS: list[dict[str, Any]] = yaml.safe_load(UNIT_TESTS_FILE.read_text())["tests"]
RUNBOOK = (ROOT / "docs" / "RUNBOOK.md").read_text()


def promtool(*args: str | Path) -> subprocess.CompletedProcess[str]:
    require_prometheus()
    return subprocess.run(
        [str(PROMTOOL), *map(str, args)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )


def heading_anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown viewers) give a heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
    return sum(int(number) * units[unit] for number, unit in re.findall(r"(\d+)(ms|s|m|h|d)", duration))


def test_promtool_accepts_the_rules() -> None:
    done = promtool("check", "rules", ALERTS_FILE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SUCCESS: {len(RULES)} rules found" in done.stdout


def test_promtool_fires_and_resolves_every_alert_on_synthetic_series() -> None:
    done = promtool("test", "rules", UNIT_TESTS_FILE)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


@pytest.mark.parametrize("name", sorted(ALERTS))
def test_the_unit_tests_see_the_alert_pending_then_firing_then_resolved(name: str) -> None:
    """A unit test only proves what it evaluates: for each alert, one series where it has not
    fired yet (its `for:` has not passed), fires, and stops firing again."""
    shapes = []
    for case in UNIT_TESTS:
        checks = sorted(
            (seconds(check["eval_time"]), bool(check["exp_alerts"]))
            for check in case.get("alert_rule_test", [])
            if check["alertname"] == name
        )
        shapes.append([fired for _, fired in checks])
    assert any(
        False in shape[: shape.index(True)] and False in shape[shape.index(True) :] for shape in shapes if True in shape
    ), f"{name}: no unit test with an evaluation before it fires, one while it fires and one after"


@pytest.mark.parametrize("name", sorted(ALERTS))
def test_every_alert_waits_has_a_severity_a_summary_and_a_runbook_section(name: str) -> None:
    rule = ALERTS[name]
    assert seconds(rule["for"]) >= 60, "every alert waits at least a minute: one bad scrape never pages"
    assert rule["labels"]["severity"] in {"warning", "critical"}
    assert rule["annotations"]["summary"]
    page, _, anchor = rule["annotations"]["runbook_url"].partition("#")
    assert page == "docs/RUNBOOK.md"
    headings = {heading_anchor(line.lstrip("#")) for line in RUNBOOK.splitlines() if line.startswith("## ")}
    assert anchor in headings, f"docs/RUNBOOK.md has no section #{anchor}"


@pytest.mark.parametrize("record", RECORDED)
def test_every_recorded_series_is_read_by_another_rule(record: str) -> None:
    readers = [rule.get("alert") or rule.get("record") for rule in RULES if record in rule["expr"]]
    assert readers, f"nothing reads {record}"
