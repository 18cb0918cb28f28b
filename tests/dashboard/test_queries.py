"""The dashboard's read queries (`models.queries.deals/searches/history`) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import text
from sqlmodel import Session

from models.queries import deals, history, searches
from models.tables import Deal, DealReason, JunkKind, Listing, PriceObservation, SearchMatch, TaskLog, TaskStatus
from tests.dashboard.conftest import NOW, Appraised, World


def test_each_search_shows_its_open_deals_and_the_result_of_its_latest_scan(session: Session, world: World) -> None:
    summaries = {summary.name: summary for summary in searches.search_summaries(session)}
    assert list(summaries) == ["Fender Strat", "Telecaster"]
    strat, tele = summaries["Fender Strat"], summaries["Telecaster"]
    assert strat.deal_count == 2  # bargain and fair: the sold listing and the dismissed deal do not count
    assert strat.last_scan is not None
    assert strat.last_scan.task_id == "latest"
    assert strat.last_scan.state is searches.ScanState.DONE
    assert strat.last_scan.status is TaskStatus.FAILED
    assert (strat.last_scan.listings_found, strat.last_scan.listings_new) == (4, 1)
    assert [(run.marketplace, run.error_class) for run in strat.last_scan.problems] == [("ebay", "blocked")]
    assert tele.deal_count == 0
    assert tele.last_scan is None and tele.last_scanned_at is None


def test_a_scan_task_reads_as_queued_then_running_then_done(session: Session, world: World) -> None:
    assert searches.scan_progress(session, "new-task").state is searches.ScanState.QUEUED
    row = TaskLog(
        task_name="scan_search",
        task_id="new-task",
        search_id=world.tele_id,
        marketplace="demo",
        status=TaskStatus.RUNNING,
        created_at=NOW,
    )
    session.add(row)
    session.commit()
    assert searches.scan_progress(session, "new-task").state is searches.ScanState.RUNNING
    row.status, row.listings_found, row.listings_new = TaskStatus.SUCCESS, 7, 3
    session.add(row)
    session.commit()
    done = searches.scan_progress(session, "new-task")
    assert (done.state, done.status, done.listings_found, done.listings_new) == (
        searches.ScanState.DONE,
        TaskStatus.SUCCESS,
        7,
        3,
    )


def test_a_retried_marketplace_counts_by_its_newest_attempt(session: Session, world: World) -> None:
    for status in (TaskStatus.FAILED, TaskStatus.SUCCESS):
        session.add(
            TaskLog(
                task_name="scan_search",
                task_id="retried",
                search_id=world.tele_id,
                marketplace="demo",
                status=status,
                error_class="timeout" if status is TaskStatus.FAILED else None,
                listings_found=2,
                created_at=NOW,
            )
        )
    session.commit()
    progress = searches.scan_progress(session, "retried")
    assert progress.status is TaskStatus.SUCCESS
    assert progress.problems == ()
    assert progress.listings_found == 2


def test_best_deals_come_first_and_each_listing_once_with_every_reason(session: Session, world: World) -> None:
    rows = deals.list_deals(session)
    assert [row.listing_id for row in rows] == [world.bargain_id, world.fair_id]
    bargain = rows[0]
    assert bargain.reasons == (DealReason.TARGET_PRICE, DealReason.BELOW_MARKET)
    assert len(bargain.deal_ids) == 2
    assert bargain.market is not None
    assert (bargain.total_price, bargain.market.price, bargain.market.percent_under) == (
        Decimal("450.00"),
        Decimal("600.00"),
        Decimal("25.00"),
    )
    assert (bargain.search_name, bargain.marketplace, bargain.url) == (
        "Fender Strat",
        "demo",
        "https://demo.example/item/b1",
    )


def test_best_first_ranks_by_score_down_to_deals_above_the_market(
    session: Session, world: World, appraised: Appraised
) -> None:
    rows = deals.list_deals(session)
    assert [(row.listing_id, row.market.percent_under if row.market else None) for row in rows] == [
        (world.bargain_id, Decimal("25.00")),
        (world.fair_id, Decimal("10.00")),
        (appraised.above_id, Decimal("-14.29")),
    ]


def test_suspicious_deals_are_left_out_of_the_list(session: Session, world: World, appraised: Appraised) -> None:
    for order in ("best", "newest"):
        rows = deals.list_deals(session, deals.DealFilter(order=order))
        assert appraised.bait_id not in [row.listing_id for row in rows]
        assert not any(row.suspicious for row in rows)


def test_suspicious_deals_are_read_apart(session: Session, world: World, appraised: Appraised) -> None:
    [bait] = deals.list_deals(session, deals.DealFilter(suspicious=True))
    assert (bait.listing_id, bait.suspicious, bait.total_price) == (appraised.bait_id, True, Decimal("90.00"))
    assert bait.market is not None and bait.market.percent_under == Decimal("85.00")
    assert deals.list_deals(session, deals.DealFilter(suspicious=True, marketplaces=("ebay",))) == []


def test_a_rows_market_figures_all_come_from_one_of_its_deals(
    session: Session, world: World, appraised: Appraised
) -> None:
    bargain = deals.list_deals(session)[0]
    assert bargain.market is not None
    assert bargain.market.deal_id in bargain.deal_ids
    assert (bargain.market.sample_size, bargain.market.confidence) == (3, Decimal("0.45"))


def test_a_deals_comparables_are_read_cheapest_first(session: Session, world: World, appraised: Appraised) -> None:
    bargain = deals.list_deals(session)[0]
    assert bargain.market is not None
    comparables = deals.deal_comparables(session, bargain.market.deal_id)
    assert [item.listing_id for item in comparables] == list(appraised.comparable_ids)
    assert [item.total_price for item in comparables] == [Decimal("560.00"), Decimal("600.00"), Decimal("650.00")]
    assert [(item.title, item.marketplace, item.url) for item in comparables][1] == (
        "Fender Stratocaster HSS",
        "ebay",
        "https://ebay.example/item/c2",
    )


def test_a_deal_that_recorded_no_comparables_has_none(session: Session, world: World) -> None:
    fair = deals.list_deals(session)[1]
    assert fair.market is not None
    assert deals.deal_comparables(session, fair.market.deal_id) == []


def test_excluded_listings_carry_their_reason_newest_first(
    session: Session, world: World, appraised: Appraised
) -> None:
    excluded = deals.excluded_listings(session)
    assert [(item.listing_id, item.junk, item.search_name) for item in excluded] == [
        (appraised.amp_id, JunkKind.OFF_QUERY, "Telecaster"),
        (appraised.neck_id, JunkKind.ACCESSORY, "Fender Strat"),
        (appraised.parts_id, JunkKind.FOR_PARTS, "Fender Strat"),
    ]
    assert excluded[1].total_price == Decimal("135.00")  # price plus shipping


def test_for_parts_listings_are_not_excluded_for_a_search_that_asks_for_them(
    session: Session, world: World, appraised: Appraised
) -> None:
    assert appraised.tele_parts_id not in [item.listing_id for item in deals.excluded_listings(session)]


def test_excluded_listings_narrow_to_the_chosen_searches(session: Session, world: World, appraised: Appraised) -> None:
    chosen = deals.excluded_listings(session, (world.strat_id,))
    assert [item.listing_id for item in chosen] == [appraised.neck_id, appraised.parts_id]
    assert [item.listing_id for item in deals.excluded_listings(session, limit=1)] == [appraised.amp_id]


def _unscored_deal(session: Session, search_id: int, key: str, detected_ago: timedelta) -> int:
    """A new-listing deal on a fresh active listing: no market price, so no score."""
    listing = Listing(marketplace="demo", external_id=key, title=f"new {key}", url=f"https://demo.example/item/{key}")
    session.add(listing)
    session.flush()
    session.add(
        Deal(
            search_id=search_id,
            listing_id=listing.id,
            reason=DealReason.NEW_LISTING,
            total_price=Decimal("700"),
            currency="USD",
            detected_at=NOW - detected_ago,
        )
    )
    session.commit()
    return listing.id or 0


def test_deals_without_a_score_come_after_the_scored_ones_newest_first(session: Session, world: World) -> None:
    older = _unscored_deal(session, world.strat_id, "u1", timedelta(minutes=30))
    newer = _unscored_deal(session, world.strat_id, "u2", timedelta(minutes=5))
    listed = [row.listing_id for row in deals.list_deals(session)]
    capped = [row.listing_id for row in deals.list_deals(session, deals.DealFilter(limit=4))]  # bargain has two deals
    assert listed == [world.bargain_id, world.fair_id, newer, older]
    assert capped == [world.bargain_id, world.fair_id, newer]


def test_newest_order_puts_the_latest_detection_first(session: Session, world: World) -> None:
    rows = deals.list_deals(session, deals.DealFilter(order="newest"))
    assert [row.listing_id for row in rows] == [world.fair_id, world.bargain_id]


def test_deal_filters_narrow_by_marketplace_reason_and_price(session: Session, world: World) -> None:
    def ids(**filters: object) -> list[int]:
        return [row.listing_id for row in deals.list_deals(session, deals.DealFilter(**filters))]

    assert ids(marketplaces=("ebay",)) == [world.fair_id]
    assert ids(reasons=(DealReason.TARGET_PRICE,)) == [world.bargain_id]
    assert ids(max_price=Decimal("500")) == [world.bargain_id]
    assert ids(min_price=Decimal("500")) == [world.fair_id]
    assert ids(search_ids=(world.tele_id,)) == []
    assert set(ids(include_dismissed=True, include_ended=True)) == {
        world.bargain_id,
        world.fair_id,
        world.ended_id,
        world.fresh_id,
    }


def test_facets_list_what_the_deals_have(session: Session, world: World) -> None:
    facets = deals.deal_facets(session)
    assert facets.marketplaces == ("demo", "ebay")
    assert facets.reasons == (DealReason.TARGET_PRICE, DealReason.BELOW_MARKET, DealReason.NEW_LISTING)


def test_facets_leave_out_marketplaces_whose_listings_have_no_deal(session: Session, world: World) -> None:
    session.add(
        Listing(marketplace="mercari", external_id="m1", title="no deal here", url="https://mercari.example/m1")
    )
    session.commit()
    assert deals.deal_facets(session).marketplaces == ("demo", "ebay")


def test_a_short_history_comes_back_as_every_observation_oldest_first(session: Session, world: World) -> None:
    result = history.search_price_history(session, world.strat_id)
    assert (result.resolution, result.observations, result.truncated) == ("raw", 5, False)
    assert [point.at for point in result.points] == sorted(point.at for point in result.points)
    assert [point.price for point in result.points[-2:]] == [Decimal("450.00"), Decimal("880.00")]
    assert {point.marketplace for point in result.points} == {"demo", "ebay"}


def test_a_history_longer_than_the_cap_is_bucketed_by_the_database(session: Session, world: World) -> None:
    result = history.search_price_history(session, world.strat_id, max_points=2)
    assert result.resolution == "day"
    assert len(result.points) == 2
    assert result.truncated
    assert result.observations == 5  # every price in the window, not only those charted


def test_a_window_leaves_older_observations_out(session: Session, world: World) -> None:
    result = history.search_price_history(session, world.strat_id, since=NOW - timedelta(hours=4))
    assert [point.price for point in result.points] == [Decimal("450.00"), Decimal("880.00")]


def _hourly_fixture(session: Session, search_id: int) -> None:
    base = datetime(2031, 1, 1, tzinfo=UTC)
    for marketplace, observations in {
        "demo": [
            (timedelta(hours=10, minutes=5), "100"),
            (timedelta(hours=10, minutes=40), "120"),
            (timedelta(hours=11, minutes=10), "90"),
        ],
        "ebay": [(timedelta(hours=10, minutes=20), "200")],
    }.items():
        listing = Listing(
            marketplace=marketplace,
            external_id=f"h-{marketplace}",
            title="hourly",
            url="https://x.example/",
            price=Decimal(observations[-1][1]),
            first_seen_at=base,
            last_seen_at=base,
        )
        session.add(listing)
        session.flush()
        session.add(SearchMatch(search_id=search_id, listing_id=listing.id))
        for offset, price in observations:
            session.add(
                PriceObservation(listing_id=listing.id, observed_at=base + offset, price=Decimal(price), currency="USD")
            )
    session.commit()


def test_hourly_buckets_hold_min_avg_max_per_marketplace_in_utc(session: Session, world: World) -> None:
    _hourly_fixture(session, world.tele_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET TIME ZONE 'America/New_York'"))  # buckets stay UTC whatever the session says
    points = history.search_price_buckets(session, world.tele_id, "hour")
    assert [(p.at, p.marketplace, p.low, p.price, p.high, p.observations) for p in points] == [
        (datetime(2031, 1, 1, 10, tzinfo=UTC), "demo", Decimal("100.00"), Decimal("110.00"), Decimal("120.00"), 2),
        (datetime(2031, 1, 1, 10, tzinfo=UTC), "ebay", Decimal("200.00"), Decimal("200.00"), Decimal("200.00"), 1),
        (datetime(2031, 1, 1, 11, tzinfo=UTC), "demo", Decimal("90.00"), Decimal("90.00"), Decimal("90.00"), 1),
    ]


def test_a_bucketed_history_whose_buckets_fit_counts_every_price_and_is_whole(session: Session, world: World) -> None:
    _hourly_fixture(session, world.tele_id)
    result = history.search_price_history(session, world.tele_id, max_points=3)  # 4 prices, 2 marketplaces
    assert (result.resolution, result.observations, result.truncated) == ("day", 4, False)
    assert [(p.marketplace, p.observations) for p in result.points] == [("demo", 3), ("ebay", 1)]


def test_daily_buckets_are_capped_to_the_newest(session: Session, world: World) -> None:
    _hourly_fixture(session, world.tele_id)
    points = history.search_price_buckets(session, world.tele_id, "day", max_points=1)
    assert [(p.at, p.marketplace, p.observations) for p in points] == [(datetime(2031, 1, 1, tzinfo=UTC), "ebay", 1)]


def test_resolution_is_the_finest_that_fits_the_cap() -> None:
    assert history.choose_resolution(100, timedelta(days=30), 3, max_points=2000) == "raw"
    assert history.choose_resolution(5000, timedelta(days=7), 2, max_points=2000) == "hour"  # 169 h x 2
    assert history.choose_resolution(5000, timedelta(days=90), 2, max_points=2000) == "day"


def test_one_listing_history_is_its_price_steps_with_its_end(session: Session, world: World) -> None:
    bargain = history.listing_price_history(session, world.bargain_id)
    assert bargain is not None
    assert [price for _, price in bargain.points] == [Decimal("520.00"), Decimal("450.00")]
    assert not bargain.ended
    assert bargain.first_seen_at == NOW - timedelta(days=2)
    ended = history.listing_price_history(session, world.ended_id)
    assert ended is not None and ended.ended
    assert history.listing_price_history(session, 999_999) is None


def test_listing_choices_are_the_search_matches(session: Session, world: World) -> None:
    choices = history.listing_choices(session, world.strat_id)
    assert {choice.id for choice in choices} == {world.bargain_id, world.fair_id, world.ended_id, world.fresh_id}
    assert history.listing_choices(session, world.tele_id) == []


def test_pickers_get_search_names_and_the_target_price(session: Session, world: World) -> None:
    assert searches.search_names(session) == {world.strat_id: "Fender Strat", world.tele_id: "Telecaster"}
    assert history.target_price(session, world.strat_id) == (Decimal("500.00"), "USD")


def test_a_searchs_deal_count_leaves_out_suspicious_deals(session: Session, world: World, appraised: Appraised) -> None:
    strat = next(summary for summary in searches.search_summaries(session) if summary.name == "Fender Strat")
    assert strat.deal_count == 3  # bargain, fair and the one above its market; not the bait
