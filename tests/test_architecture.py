"""The layers, as rules over the import graph (grimp, the engine of import-linter).

`models` is the core everyone shares; `scanner` is the worker and its CLI; `dashboard` is the
Streamlit app; `demo_market` is the offline marketplace. A rule broken here is a boundary someone
crossed: the build fails with the import that crossed it.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("models", "scanner", "dashboard", "demo_market")
#: The worker's public API: the only worker module the dashboard may import.
WORKER_API = "scanner.api"
#: What importing the worker's public API may load of the worker (the queue and the task names).
WORKER_MODULES_A_PAGE_MAY_LOAD = {"scanner", "scanner.api", "scanner.queue", "scanner.tasks"}
#: Adapters turn pages into listings; storing them is someone else's job.
STORAGE = (
    "models.db",
    "models.bulk",
    "models.crud",
    "models.queries",
    "sqlalchemy",
    "sqlmodel",
    "psycopg",
    "scanner.quota",
)


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph(*PACKAGES, include_external_packages=True)


def _project(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


def _direct_imports(graph: grimp.ImportGraph, package: str) -> list[tuple[str, str]]:
    return sorted(
        (importer, imported)
        for importer in graph.find_descendants(package) | {package}
        for imported in graph.find_modules_directly_imported_by(importer)
    )


def _crossing(imports: list[tuple[str, str]], forbidden: tuple[str, ...], allowed: tuple[str, ...] = ()) -> list[str]:
    def under(module: str, prefixes: tuple[str, ...]) -> bool:
        return any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes)

    return [f"{a} imports {b}" for a, b in imports if under(b, forbidden) and not under(b, allowed)]


def test_the_project_has_no_import_cycles(graph: grimp.ImportGraph) -> None:
    modules = {module for module in graph.modules if _project(module)}
    edges = {module: {m for m in graph.find_modules_directly_imported_by(module) if _project(m)} for module in modules}
    try:
        TopologicalSorter(edges).prepare()
    except CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


def test_the_core_imports_nothing_above_it(graph: grimp.ImportGraph) -> None:
    assert _crossing(_direct_imports(graph, "models"), ("scanner", "dashboard", "demo_market")) == []


def test_the_dashboard_reaches_the_worker_only_through_its_public_api(graph: grimp.ImportGraph) -> None:
    assert _crossing(_direct_imports(graph, "dashboard"), ("scanner", "demo_market"), allowed=(WORKER_API,)) == []


def test_adapters_know_nothing_of_the_database(graph: grimp.ImportGraph) -> None:
    assert _crossing(_direct_imports(graph, "scanner.marketplaces"), STORAGE) == []


def test_appraisal_is_pure(graph: grimp.ImportGraph) -> None:
    """Judging a price reads listings, never the database or the network."""
    assert _crossing(_direct_imports(graph, "scanner.appraisal"), (*STORAGE, "requests", "scanner.http")) == []


def test_only_the_command_line_imports_the_commands(graph: grimp.ImportGraph) -> None:
    imports = [
        (a, b)
        for a, b in _direct_imports(graph, "scanner")
        if not a.startswith(("scanner.commands", "scanner.cli", "scanner.__main__"))
    ]
    assert _crossing(imports, ("scanner.commands", "scanner.cli")) == []


def test_the_demo_market_is_a_marketplace_not_part_of_the_worker(graph: grimp.ImportGraph) -> None:
    assert _crossing(_direct_imports(graph, "demo_market"), ("scanner", "dashboard")) == []


def _modules_named_in(path: Path) -> set[str]:
    """Every module an `import` anywhere in the file names, function bodies included."""
    named: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            named.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            named.add(node.module)
            named.update(f"{node.module}.{alias.name}" for alias in node.names)
    return named


def test_what_the_dashboard_imports_loads_no_worker_internals() -> None:
    """What a Streamlit process really loads, lazy imports included: the rule above could be kept
    to the letter while `scanner.api` pulled in the pipeline. (Pages are scripts that query the
    database as they load, so the probe imports what they import rather than running them.)"""
    named = sorted(set().union(*(_modules_named_in(path) for path in (ROOT / "dashboard").rglob("*.py"))))
    probe = (
        "import importlib, json, sys\n"
        f"for name in {named!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ModuleNotFoundError:\n"
        "        pass  # a name imported from a module, not a module\n"
        "print(json.dumps(sorted(m for m in sys.modules if m == 'scanner' or m.startswith('scanner.'))))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert set(json.loads(done.stdout)) <= WORKER_MODULES_A_PAGE_MAY_LOAD
