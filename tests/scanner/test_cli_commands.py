"""The scanner's own commands, run as a person would: `search add/list`, `scan`, `marketplace`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from demo_market import DemoMarket
from models.tables import MarketplaceState
from tests.cli import Cli


@pytest.fixture
def run(
    sqlite_engine: Engine,
    market: DemoMarket,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Cli:
    """Commands against a migrated SQLite database (the backends are covered by the model tests)."""
    return Cli(
        monkeypatch,
        capsys,
        env={
            "DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False),
            "DATA_DIR": str(tmp_path),
            "DEMO_MARKET_URL": market.url,
            "RATE_LIMIT_PER_MINUTE": "6000",
        },
    )


def test_search_add_prints_the_new_id_and_list_shows_it(run: Cli) -> None:
    added = run(
        "search",
        "add",
        "--name",
        "Strats",
        "--query",
        "stratocaster",
        "--marketplace",
        "demo",
        "--marketplace",
        "ebay",
        "--max-price",
        "900",
        "--target-price",
        "550",
        "--email",
        "me@example.com",
        "--interval",
        "15",
        "--category",
        "33034",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "1"
    table = run("search", "list")
    assert "Strats" in table.stdout and "demo,ebay" in table.stdout and "15 min" in table.stdout
    [search] = json.loads(run("search", "list", "--json").stdout)
    assert (search["name"], search["marketplaces"], search["max_price"], search["category"]) == (
        "Strats",
        ["demo", "ebay"],
        "900.00",
        "33034",
    )


def test_search_add_includes_for_parts_listings_only_when_asked(run: Cli) -> None:
    run("search", "add", "--name", "Repairs", "--query", "stratocaster", "--marketplace", "demo", "--include-for-parts")
    run("search", "add", "--name", "Buys", "--query", "stratocaster", "--marketplace", "demo")
    searches = json.loads(run("search", "list", "--json").stdout)
    assert {search["name"]: search["include_for_parts"] for search in searches} == {"Repairs": True, "Buys": False}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--max-price", "-5"], "max_price"),
        (["--min-price", "700", "--max-price", "600"], "min_price"),
        (["--interval", "1"], "interval_minutes: must be at least 5 minutes"),
        (["--email", "not-an-address"], "alert_recipients"),
        (["--max-price", "cheap"], "not an amount: 'cheap'"),
    ],
)
def test_bad_search_arguments_are_one_line_and_exit_2(run: Cli, args: list[str], says: str) -> None:
    result = run("search", "add", "--name", "x", "--query", "guitar", "--marketplace", "demo", *args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and says in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unknown_marketplace_is_refused(run: Cli) -> None:
    result = run("search", "add", "--name", "x", "--query", "guitar", "--marketplace", "amazon")
    assert result.returncode == 2 and "invalid choice: 'amazon'" in result.stderr


def test_scan_runs_in_the_foreground_and_prints_a_json_summary(run: Cli) -> None:
    run("search", "add", "--name", "Guitars", "--query", "guitar", "--marketplace", "demo")
    result = run("scan", "1")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["found"] > 0 and summary["new"] == summary["found"]
    assert {"price_changes", "ended", "deals", "errors", "skipped"} <= set(summary)


def test_scan_of_a_missing_search_is_one_line(run: Cli) -> None:
    result = run("scan", "42")
    assert (result.returncode, result.stderr.strip()) == (2, "error: search 42 does not exist")


def test_a_paused_marketplace_is_skipped_until_resumed(run: Cli) -> None:
    run("search", "add", "--name", "Guitars", "--query", "guitar", "--marketplace", "demo")
    paused = run("marketplace", "pause", "demo", "--reason", "site redesign")
    assert paused.returncode == 0 and "paused (site redesign)" in paused.stdout
    assert "paused: site redesign" in run("marketplace", "status").stdout
    skipped = json.loads(run("scan", "1").stdout)
    assert skipped["skipped"] == [{"marketplace": "demo", "reason": "paused: site redesign"}]
    assert run("marketplace", "resume", "demo").returncode == 0
    assert json.loads(run("scan", "1").stdout)["found"] > 0


def test_marketplace_status_says_when_robots_txt_blocks_and_whether_it_is_obeyed(
    run: Cli, sqlite_engine: Engine
) -> None:
    with Session(sqlite_engine) as session:
        session.add(MarketplaceState(marketplace="craigslist", last_error_class="robots_disallowed"))
        session.commit()
    shown = run("marketplace", "status", env={"ROBOTS_TXT_OBEY": '{"ebay": false}'}).stdout
    rows = {line.split()[0]: line.split("  ") for line in shown.splitlines()[1:] if line.strip()}
    craigslist, ebay = ([cell.strip() for cell in rows[name] if cell.strip()] for name in ("craigslist", "ebay"))
    assert "blocked by robots.txt" in craigslist and craigslist[-2] == "obeyed"
    assert ebay[-2] == "ignored (ROBOTS_TXT_OBEY)"


def test_marketplace_status_shows_which_proxy_a_marketplace_goes_through_without_its_password(run: Cli) -> None:
    shown = run("marketplace", "status", env={"PROXY_URL_KIJIJI": "socks5://scout:hunter2@ca-exit.example:1080"})
    rows = {line.split()[0]: line for line in shown.stdout.splitlines()[1:] if line.strip()}
    assert rows["kijiji"].rstrip().endswith("via socks5://ca-exit.example:1080")
    assert rows["ebay"].rstrip().endswith("direct")
    assert "hunter2" not in shown.stdout


# Issue 20, defect 10: the CLI takes the same bounds as the form, each refused in one line.

UNBOUNDED = [
    (["--interval", "1e20"], "interval_minutes: must be at most 43200 minutes (30 days)"),
    (["--interval", "9007199254740991"], "interval_minutes: must be at most 43200 minutes (30 days)"),
    (["--interval", "99999999999999999999999"], "interval_minutes: must be at most 43200 minutes (30 days)"),
    ([arg for n in range(21) for arg in ("--email", f"me{n}@example.com")], "at most 20 recipients (21 given)"),
    ([arg for n in range(51) for arg in ("--exclude", f"word{n}")], "at most 50 excluded words (51 given)"),
    (["--location", "x" * 201], "location: String should have at most 200 characters"),
    (["--radius", "99999999999999999999999"], "radius_miles: Input should be less than or equal to 500"),
    (["--max-price", "1e400"], "max_price"),
    (["--name", "Strat\x1b[31m"], "name: must not contain line breaks, tabs or other control characters"),
]


def test_unbounded_search_arguments_are_one_line_exit_2_and_save_nothing(run: Cli) -> None:
    """One database for every case (each a separate command, as a person would type them)."""
    for args, says in UNBOUNDED:
        result = run("search", "add", "--name", "x", "--query", "guitar", "--marketplace", "demo", *args)
        assert result.returncode == 2, (args[:2], result.stdout)
        [line] = result.stderr.strip().splitlines()
        assert line.startswith("error: ") and says in line, (args[:2], line)
        assert "Traceback" not in result.stderr
    assert json.loads(run("search", "list", "--json").stdout) == []  # nothing saved


def test_the_longest_interval_is_accepted(run: Cli) -> None:
    added = run(
        "search", "add", "--name", "Monthly", "--query", "guitar", "--marketplace", "demo", "--interval", "43200"
    )
    assert added.returncode == 0, added.stderr
    [search] = json.loads(run("search", "list", "--json").stdout)
    assert search["interval_minutes"] == 43200


@pytest.mark.parametrize("reason", ["", "x" * 201])
def test_a_pause_reason_must_be_one_line_of_at_most_200_characters(run: Cli, reason: str) -> None:
    paused = run("marketplace", "pause", "demo", "--reason", reason)
    assert paused.returncode != 0 and "--reason needs between 1 and 200 characters" in paused.stderr
    assert "paused" not in run("marketplace", "status").stdout.split("demo", 1)[1].split("\n", 1)[0]
