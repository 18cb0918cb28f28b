"""docs/RUNBOOK.md stays true: its commands exist, its SQL runs on our schema, its metrics are
exported, and every command says how we know it works."""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

import pytest
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
    named = set(re.findall(r"\b(?:deal_scout_\w+|process_resident_memory_bytes)\b", RUNBOOK))
    assert len(named) > 10
    assert named <= _exported_names(sqlite_engine, tmp_path)
