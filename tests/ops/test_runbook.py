"""docs/RUNBOOK.md stays true: its commands exist, its SQL runs on our schema, its metrics are
exported, every command says how we know it works, and its alert table is the rule file that
promtool and a real Prometheus test."""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models.db import create_db_engine
from models.migrate import upgrade
from models.settings import load_settings
from models.types import utcnow
from scanner.cli import build_parser
from scanner.metrics import build_registry, record_scan, render
from scanner.queue import make_huey

from .conftest import ROOT, seed_ops

RUNBOOK = (ROOT / "docs" / "RUNBOOK.md").read_text()
_BLOCK = re.compile(r"^([ \t]*)```(\w*)\n(.*?)^\1```", re.MULTILINE | re.DOTALL)
BLOCKS = [(language, textwrap.dedent(body)) for _, language, body in _BLOCK.findall(RUNBOOK)]
SH_LINES = [line.strip() for language, body in BLOCKS if language == "sh" for line in body.splitlines() if line.strip()]
SQL_BLOCKS = [body for language, body in BLOCKS if language == "sql"]
MARKER = re.compile(r"# (tested: \S+::\w+|run by hand \d{4}-\d{2}-\d{2}|not run here: .+)")
_ALERT_SECTION = RUNBOOK.split("### Alerts and what they map to", 1)[1].split("\n#", 1)[0]
_CELLS = ("seed", "expression", "warning", "critical", "rules", "how")
#: The alert table's rows, by column (cells split on the `|` that Markdown does not see escaped).
ALERT_ROWS = [
    dict(zip(_CELLS, (cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]), strict=True))
    for line in _ALERT_SECTION.splitlines()
    if line.startswith("| ") and not line.startswith("| Seed alert")
]
ALERT_RULES = [
    rule
    for group in yaml.safe_load((ROOT / "deploy" / "prometheus" / "alerts.yml").read_text())["groups"]
    for rule in group["rules"]
]
UNIT_TESTED = "tested: tests/ops/test_alert_rules.py::test_promtool_fires_and_resolves_every_alert_on_synthetic_series"
SCANNER_COMMANDS = sorted(
    {line.split("python -m scanner ", 1)[1].split(" #")[0].strip() for line in SH_LINES if "python -m scanner " in line}
)


def test_the_runbook_has_commands_and_sql() -> None:
    assert len(SH_LINES) > 40 and len(SQL_BLOCKS) > 8 and len(SCANNER_COMMANDS) > 10


@pytest.mark.parametrize("line", SH_LINES)
def test_every_command_says_how_we_know_it_works(line: str) -> None:
    assert MARKER.search(line), f"no 'tested:', 'run by hand DATE' or 'not run here:' marker: {line}"


@pytest.mark.parametrize("command", SCANNER_COMMANDS)
def test_every_scanner_command_parses(command: str) -> None:
    try:
        build_parser().parse_args(shlex.split(command))
    except SystemExit as error:
        pytest.fail(f"`python -m scanner {command}` does not parse (exit {error.code})")


def test_every_tested_marker_names_a_real_test() -> None:
    markers = set(re.findall(r"tested: (\S+?)::(\w+)", RUNBOOK))
    assert markers
    for path, name in sorted(markers):
        source = ROOT / path
        assert source.is_file(), f"{path} does not exist"
        assert re.search(rf"^def {name}\(", source.read_text(), re.MULTILINE), f"{path} has no test {name}"


def test_every_sql_block_runs_on_postgresql(postgres_database_url: str) -> None:
    engine = create_db_engine(postgres_database_url)
    upgrade(engine)
    with Session(engine) as session:
        seed_ops(session, utcnow())
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for block in SQL_BLOCKS:
                for statement in filter(None, (part.strip() for part in block.split(";"))):
                    statement = "\n".join(line for line in statement.splitlines() if not line.startswith("--"))
                    result = connection.exec_driver_sql(statement)
                    if result.returns_rows:
                        result.all()
    finally:
        engine.dispose()


def _exported_names(engine: Engine, tmp_path: Path) -> set[str]:
    record_scan("demo", "failed", 1.0, 0, 0, 0)  # labelled counters only appear once used
    registry = build_registry(engine, make_huey(load_settings(data_dir=tmp_path), name="runbook-metrics"))
    names: set[str] = set()
    for family in text_string_to_metric_families(render(registry)[0].decode()):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return names


def test_every_metric_the_runbook_names_is_exported(sqlite_engine: Engine, tmp_path: Path) -> None:
    with Session(sqlite_engine) as session:
        seed_ops(session, utcnow())
    # not the metric inside a recorded series' name (`marketplace:deal_scout_scans_failed:increase5m`)
    named = set(re.findall(r"(?<![:\w])(?:deal_scout_\w+|process_resident_memory_bytes)(?![:\w])", RUNBOOK))
    assert len(named) > 10
    assert named <= _exported_names(sqlite_engine, tmp_path)


def _promql(text: str) -> str:
    """An expression as Prometheus reads it: Markdown's escaped `|` unescaped, whitespace collapsed."""
    return " ".join(text.replace("\\|", "|").split())


def test_the_alert_table_names_every_alert_rule_once() -> None:
    named = [name for row in ALERT_ROWS for name in re.findall(r"`(DealScout\w+)`", row["rules"])]
    assert sorted(named) == sorted(rule["alert"] for rule in ALERT_RULES if "alert" in rule)


@pytest.mark.parametrize("row", ALERT_ROWS, ids=[row["seed"] for row in ALERT_ROWS])
def test_every_promql_line_of_the_alert_table_is_a_rule_that_was_tested(row: dict[str, str]) -> None:
    """The table's PromQL is the rule file's, character for character, and says it was tested."""
    recorded = {rule["record"] for rule in ALERT_RULES if "record" in rule}
    expressions = {_promql(rule["expr"]) for rule in ALERT_RULES}
    spans = re.findall(r"`([^`]+)`", " ".join((row["expression"], row["warning"], row["critical"])))
    promql = [span for span in spans if re.search(r"\b(deal_scout|node|process)_", span) and span not in recorded]
    assert promql, "no PromQL in this row"
    for expression in promql:
        assert _promql(expression) in expressions, f"not an expression of alerts.yml: {expression}"
    assert {span for span in spans if re.fullmatch(r"\w+:[\w:]+", span)} <= recorded, "a recorded name alerts.yml lacks"
    assert UNIT_TESTED in row["how"]
