"""Fixtures for the dashboard: a seeded model layer (both backends) and the app pointed at a
fresh, migrated SQLite database.

`seed()` writes a small but complete world: two searches, listings on two marketplaces with
price histories, deals for several reasons (one dismissed, one on an ended listing) and the task
log of two scans; `seed_appraisals()` adds what the appraisal records: comparables, a deal above
its market, a suspicious one and listings excluded as junk. Times are relative to `NOW` (when the tests started), so every figure can be
asserted exactly and the app's "5 minutes ago" reads right. The helpers at the end drive the
app through AppTest.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from models import crud
from models.db import dispose_engines, get_engine
from models.migrate import upgrade
from models.schemas import SearchInput
from models.settings import get_settings
from models.tables import (
    Deal,
    DealReason,
    JunkKind,
    Listing,
    ListingStatus,
    PriceObservation,
    Search,
    SearchMatch,
    TaskLog,
    TaskStatus,
)
from models.types import utcnow

NOW = utcnow().replace(microsecond=0)


@dataclass(frozen=True)
class World:
    strat_id: int
    tele_id: int
    bargain_id: int  # demo: 450 now, was 520; under target and 25 % under market
    fair_id: int  # ebay: 540, 10 % under market
    ended_id: int  # demo: sold; a deal whose listing is gone
    fresh_id: int  # ebay: a new-listing deal, dismissed


def _listing(
    session: Session, marketplace: str, key: str, title: str, prices: list[tuple[timedelta, str]], **extra: object
) -> int:
    first_seen = NOW - prices[0][0]
    listing = Listing(
        marketplace=marketplace,
        external_id=key,
        title=title,
        url=f"https://{marketplace}.example/item/{key}",
        image_url=f"https://{marketplace}.example/img/{key}.jpg",
        price=Decimal(prices[-1][1]),
        currency="USD",
        location="Portland, OR",
        first_seen_at=first_seen,
        last_seen_at=NOW - timedelta(minutes=5),
        **extra,
    )
    session.add(listing)
    session.flush()
    for ago, price in prices:
        session.add(
            PriceObservation(listing_id=listing.id, observed_at=NOW - ago, price=Decimal(price), currency="USD")
        )
    return listing.id or 0


def _deal(session: Session, search_id: int, listing_id: int, reason: DealReason, total: str, **extra: object) -> int:
    deal = Deal(
        search_id=search_id,
        listing_id=listing_id,
        reason=reason,
        total_price=Decimal(total),
        currency="USD",
        detected_at=extra.pop("detected_at", NOW - timedelta(hours=1)),  # type: ignore[arg-type]
        **extra,
    )
    session.add(deal)
    session.flush()
    return deal.id or 0


def seed(session: Session) -> World:
    strat = crud.create_search(
        session,
        SearchInput.parse(
            {
                "name": "Fender Strat",
                "query": "fender stratocaster",
                "marketplaces": ["demo", "ebay"],
                "max_price": "900",
                "target_price": "500",
                "market_discount_pct": "10",
                "alert_recipients": ["me@example.com"],
                "interval_minutes": 15,
            },
            min_interval_minutes=5,
        ),
        now=NOW - timedelta(days=3),
    )
    tele = crud.create_search(
        session,
        SearchInput.parse(
            {"name": "Telecaster", "query": "telecaster", "marketplaces": ["demo"], "interval_minutes": 30},
            min_interval_minutes=5,
        ),
        now=NOW - timedelta(minutes=2),
    )
    strat.last_scanned_at = NOW - timedelta(minutes=10)
    # from the clock, not NOW (fixed when the suite is collected): a slow run must not make them due
    strat.next_scan_at = utcnow() + timedelta(minutes=30)
    tele.next_scan_at = utcnow() + timedelta(minutes=20)
    session.add_all([strat, tele])

    bargain = _listing(
        session,
        "demo",
        "b1",
        "Fender Stratocaster 2012 sunburst",
        [(timedelta(days=2), "520.00"), (timedelta(hours=3), "450.00")],
    )
    fair = _listing(
        session, "ebay", "f1", "Fender Player Stratocaster", [(timedelta(days=1), "540.00")], shipping=Decimal("0")
    )
    ended = _listing(
        session, "demo", "e1", "Squier Strat (sold)", [(timedelta(days=2), "300.00")], status=ListingStatus.SOLD
    )
    fresh = _listing(session, "ebay", "n1", "Strat copy, new listing", [(timedelta(hours=2), "880.00")])
    for listing_id in (bargain, fair, ended, fresh):
        session.add(SearchMatch(search_id=strat.id, listing_id=listing_id, first_matched_at=NOW - timedelta(days=2)))

    market = {"market_price": Decimal("600.00"), "sample_size": 7}
    _deal(session, strat.id, bargain, DealReason.TARGET_PRICE, "450.00", score=Decimal("25.00"), **market)
    _deal(session, strat.id, bargain, DealReason.BELOW_MARKET, "450.00", score=Decimal("25.00"), **market)
    _deal(
        session,
        strat.id,
        fair,
        DealReason.BELOW_MARKET,
        "540.00",
        score=Decimal("10.00"),
        detected_at=NOW - timedelta(minutes=20),
        **market,
    )
    _deal(session, strat.id, ended, DealReason.TARGET_PRICE, "300.00", score=Decimal("50.00"), **market)
    _deal(session, strat.id, fresh, DealReason.NEW_LISTING, "880.00", dismissed=True)

    session.add_all(
        [
            TaskLog(
                task_name="scan_search",
                task_id="older",
                search_id=strat.id,
                marketplace="demo",
                status=TaskStatus.SUCCESS,
                listings_found=9,
                listings_new=9,
                created_at=NOW - timedelta(hours=1),
            ),
            TaskLog(
                task_name="scan_search",
                task_id="latest",
                search_id=strat.id,
                marketplace="demo",
                status=TaskStatus.SUCCESS,
                listings_found=4,
                listings_new=1,
                created_at=NOW - timedelta(minutes=10),
            ),
            TaskLog(
                task_name="scan_search",
                task_id="latest",
                search_id=strat.id,
                marketplace="ebay",
                status=TaskStatus.FAILED,
                error_class="blocked",
                error="HTTP 403 from ebay",
                created_at=NOW - timedelta(minutes=10),
            ),
        ]
    )
    session.commit()
    return World(
        strat_id=strat.id or 0,
        tele_id=tele.id or 0,
        bargain_id=bargain,
        fair_id=fair,
        ended_id=ended,
        fresh_id=fresh,
    )


@dataclass(frozen=True)
class Appraised:
    comparable_ids: tuple[
        int, ...
    ]  # the bargain's comparables, cheapest first: 560 (demo), 580 + 20 (ebay), 650 (demo)
    above_id: int  # demo: 480, under the Strat's 500 target but 14 % above its 420 market
    bait_id: int  # demo: 90 against a 600 market, 15 % of it: suspicious
    parts_id: int  # demo: for parts, excluded from the Strat an hour ago
    neck_id: int  # ebay: 120 + 15 shipping, an accessory excluded from the Strat 30 minutes ago
    amp_id: int  # demo: a different product, excluded from the Telecaster 10 minutes ago
    tele_parts_id: int  # demo: for parts, and the Telecaster asks for those: not excluded


def _match(session: Session, search_id: int, listing_id: int, junk: JunkKind | None, ago: timedelta) -> None:
    session.add(SearchMatch(search_id=search_id, listing_id=listing_id, junk=junk, first_matched_at=NOW - ago))


def seed_appraisals(session: Session, world: World) -> Appraised:
    hour = timedelta(hours=1)
    cheap, shipped, dear = (
        _listing(session, "demo", "c1", "Fender Stratocaster 2014", [(hour, "560.00")]),
        _listing(session, "ebay", "c2", "Fender Stratocaster HSS", [(hour, "580.00")], shipping=Decimal("20")),
        _listing(session, "demo", "c3", "Fender Stratocaster MIM", [(hour, "650.00")]),
    )
    for deal in session.exec(select(Deal).where(Deal.listing_id == world.bargain_id)):
        deal.comparables, deal.sample_size, deal.confidence = [dear, cheap, shipped], 3, Decimal("0.45")
        session.add(deal)

    above = _listing(session, "demo", "a1", "Fender Stratocaster Deluxe", [(hour, "480.00")])
    bait = _listing(session, "demo", "s1", "Fender Stratocaster USA, must go today", [(hour, "90.00")])
    parts = _listing(session, "demo", "p1", "Fender Strat for parts, no sound", [(hour, "150.00")])
    neck = _listing(session, "ebay", "k1", "Stratocaster neck, maple", [(hour, "120.00")], shipping=Decimal("15"))
    amp = _listing(session, "demo", "m1", "Fender Blues Junior amp (Telecaster player)", [(hour, "400.00")])
    tele_parts = _listing(session, "demo", "t1", "Telecaster for parts", [(hour, "200.00")])
    _match(session, world.strat_id, above, None, hour)
    _match(session, world.strat_id, bait, None, hour)
    _match(session, world.strat_id, parts, JunkKind.FOR_PARTS, hour)
    _match(session, world.strat_id, neck, JunkKind.ACCESSORY, timedelta(minutes=30))
    _match(session, world.tele_id, amp, JunkKind.OFF_QUERY, timedelta(minutes=10))
    _match(session, world.tele_id, tele_parts, JunkKind.FOR_PARTS, timedelta(minutes=5))
    tele = session.get(Search, world.tele_id)
    assert tele is not None
    tele.include_for_parts = True
    session.add(tele)

    _deal(
        session,
        world.strat_id,
        above,
        DealReason.TARGET_PRICE,
        "480.00",
        score=Decimal("-14.29"),
        market_price=Decimal("420.00"),
        sample_size=5,
        confidence=Decimal("0.30"),
    )
    _deal(
        session,
        world.strat_id,
        bait,
        DealReason.BELOW_MARKET,
        "90.00",
        score=Decimal("85.00"),
        market_price=Decimal("600.00"),
        sample_size=3,
        confidence=Decimal("0.45"),
        comparables=[cheap],
        suspicious=True,
    )
    session.commit()
    return Appraised(
        comparable_ids=(cheap, shipped, dear),
        above_id=above,
        bait_id=bait,
        parts_id=parts,
        neck_id=neck,
        amp_id=amp,
        tele_parts_id=tele_parts,
    )


@pytest.fixture
def world(session: Session) -> World:
    """The seeded world on each backend (through the shared `session` fixture)."""
    return seed(session)


# Production hides exception details from the browser (.streamlit/config.toml); tests want them.
st.config.set_option("client.showErrorDetails", "full")


def reset_app_caches() -> None:
    """Make settings, the engine and Streamlit's caches start over (after changing the environment)."""
    get_settings.cache_clear()
    dispose_engines()
    st.cache_resource.clear()
    st.cache_data.clear()


@pytest.fixture
def app_engine(monkeypatch: pytest.MonkeyPatch, tmp_path: object) -> Iterator[Engine]:
    """The dashboard's own engine, on a fresh migrated SQLite file; caches reset afterwards."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/dashboard.db")
    reset_app_caches()
    engine = get_engine()
    upgrade(engine)
    yield engine
    monkeypatch.undo()
    reset_app_caches()


@pytest.fixture
def app_world(app_engine: Engine) -> World:
    with Session(app_engine, expire_on_commit=False) as session:
        return seed(session)


@pytest.fixture
def appraised(session: Session, world: World) -> Appraised:
    return seed_appraisals(session, world)


@pytest.fixture
def app_appraised(app_engine: Engine, app_world: World) -> Appraised:
    with Session(app_engine, expire_on_commit=False) as session:
        return seed_appraisals(session, app_world)


APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def open_app(page: str | None = None) -> AppTest:
    """Run the app as a fresh browser session would, on `page` ("views/searches.py") if given."""
    app = AppTest.from_file(str(APP), default_timeout=30).run()
    if page is not None:
        app.switch_page(page).run()
    return app


def texts(app: AppTest, kind: str) -> list[str]:
    """The text of every element of one kind ("info", "warning", "caption", "markdown"…)."""
    return [str(element.value) for element in getattr(app, kind)]


def altair_charts(app: AppTest) -> list[dict[str, Any]]:
    """The Vega-Lite spec of every `st.altair_chart`, each layer's data rows (Arrow on the wire)
    under its `rows`."""
    charts = []
    for element in app.get("vega_lite_chart"):
        spec = json.loads(element.proto.spec)
        datasets = {
            dataset.name: pa.ipc.open_stream(dataset.data.data).read_pandas().to_dict("records")
            for dataset in element.proto.datasets
        }
        for layer in spec.get("layer", [spec]):
            layer["rows"] = datasets.get(layer.get("data", {}).get("name"), [])
        charts.append(spec)
    return charts


def series_prices(chart: dict[str, Any]) -> dict[str, list[float]]:
    """The prices a chart draws per legend entry (marketplace or market line), in drawing order."""
    prices: dict[str, list[float]] = {}
    for layer in chart["layer"]:
        if layer["mark"]["type"] in ("circle", "line"):
            for row in layer["rows"]:
                if "series" in row:
                    prices.setdefault(row["series"], []).append(row["price"])
    return prices


def next_sibling(app: AppTest, key: str) -> Any:
    """The element drawn right after the widget with `key`, in the same container."""

    def search(block: Any) -> Any:
        children = list(block.children.values()) if hasattr(block, "children") else []
        for index, child in enumerate(children):
            if getattr(child, "key", None) == key:
                return children[index + 1] if index + 1 < len(children) else None
            found = search(child)
            if found is not None:
                return found
        return None

    return search(app.main)
