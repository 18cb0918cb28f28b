"""The deal rules: which listings of a scan become deals, with which figures, and only once."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.settings import Settings
from models.tables import Deal, DealReason, ListingStatus, Notification, Search
from scanner.deals import find_deals


def reasons(deals: list[Deal]) -> list[tuple[int, DealReason]]:
    return [(deal.listing_id, deal.reason) for deal in deals]


def below_market(deals: list[Deal]) -> Deal:
    [deal] = [deal for deal in deals if deal.reason is DealReason.BELOW_MARKET]
    return deal


def test_the_market_is_every_stored_listing_of_the_same_product_in_the_window(shop, session, settings, now) -> None:
    search = shop.search(market_discount_pct=Decimal("20"))
    other = shop.search(name="Other search")
    comparables = [
        shop.listing(search, "180", shipping="20"),  # total 200
        shop.listing(search, "300", status=ListingStatus.SOLD),  # sold ones stand in for sale prices
        shop.listing(other, "250", status=ListingStatus.ENDED, seen=now - timedelta(days=29)),  # another search's
        shop.listing(None, "260"),  # matched by no search
        shop.listing(other, "240", title="NINTENDO Switch (OLED model) – white"),  # worded differently
    ]
    shop.listing(search, "1", seen=now - timedelta(days=31))  # outside the 30-day window
    shop.listing(search, "2", currency="EUR")
    shop.listing(search, None)
    shop.listing(search, "5", title="Nintendo Switch Lite console")  # another product
    shop.listing(search, "6", title="Nintendo 3DS XL")
    bargain = shop.listing(search, "150")

    deal = below_market(
        find_deals(session, search, [shop.observe(bargain)], baseline=False, now=now, settings=settings)
    )

    assert (deal.market_price, deal.sample_size) == (Decimal("250"), 5)
    assert sorted(deal.comparables or []) == sorted(listing.id for listing in comparables)
    assert deal.score == Decimal("40")


def test_outliers_are_trimmed_before_the_median(shop, session, settings, now) -> None:
    search = shop.search(market_discount_pct=Decimal("20"))
    shop.history(search, "240", "250", "260", "270", "9000")  # a typo'd price far outside the fences
    bargain = shop.listing(search, "190")

    deal = below_market(
        find_deals(session, search, [shop.observe(bargain)], baseline=False, now=now, settings=settings)
    )

    assert (deal.market_price, deal.sample_size) == (Decimal("255"), 4)


def test_the_market_confidence_falls_with_a_wide_spread(shop, session, settings, now) -> None:
    tight, wide = shop.search(market_discount_pct=Decimal("20")), shop.search(market_discount_pct=Decimal("20"))
    shop.history(tight, "248", "250", "252", "250")
    shop.history(wide, "150", "200", "300", "350", title="Nintendo Switch OLED console 64gb")
    deals_tight = find_deals(
        session, tight, [shop.observe(shop.listing(tight, "150"))], baseline=False, now=now, settings=settings
    )
    deals_wide = find_deals(
        session,
        wide,
        [shop.observe(shop.listing(wide, "100", title="Nintendo Switch OLED console 64gb"))],
        baseline=False,
        now=now,
        settings=settings,
    )

    assert below_market(deals_tight).confidence > below_market(deals_wide).confidence


def test_below_the_minimum_sample_size_there_is_not_enough_data(shop, session, settings, now) -> None:
    search = shop.search(market_discount_pct=Decimal("10"))
    shop.history(search, "800", "900")
    cheap = shop.listing(search, "500")

    assert find_deals(session, search, [shop.observe(cheap)], baseline=False, now=now, settings=settings) == []


def test_below_market_deal_records_score_market_price_and_sample_size(shop, session, settings, now) -> None:
    search = shop.search(market_discount_pct=Decimal("30"), target_price=Decimal("600"))
    shop.history(search, "800", "850", "900", "950", "1000")
    bargain = shop.listing(search, "560", shipping="18")  # total 578; the median of the six others is 875
    near_market = shop.listing(search, "700")  # 17.65% under: not enough for 30%

    deals = find_deals(
        session, search, [shop.observe(bargain), shop.observe(near_market)], baseline=False, now=now, settings=settings
    )

    assert reasons(deals) == [(bargain.id, DealReason.TARGET_PRICE), (bargain.id, DealReason.BELOW_MARKET)]
    for deal in deals:
        assert (deal.total_price, deal.currency, deal.score) == (Decimal("578"), "USD", Decimal("33.94"))
        assert (deal.market_price, deal.sample_size, deal.detected_at) == (Decimal("875"), 6, now)


def test_without_enough_market_data_there_is_no_below_market_deal_and_no_score(shop, session, settings, now) -> None:
    search = shop.search(market_discount_pct=Decimal("10"), target_price=Decimal("600"))
    shop.listing(search, "900")
    cheap = shop.listing(search, "300")

    deals = find_deals(session, search, [shop.observe(cheap)], baseline=False, now=now, settings=settings)

    assert reasons(deals) == [(cheap.id, DealReason.TARGET_PRICE)]
    assert (deals[0].score, deals[0].market_price, deals[0].sample_size) == (None, None, None)
    notification = session.exec(select(Notification)).one()
    assert "Market price: not enough data yet" in notification.body_text


def test_target_price_compares_the_total_cost_including_shipping(shop, session, settings, now) -> None:
    search = shop.search(target_price=Decimal("600"))
    over_with_shipping = shop.listing(search, "590", shipping="20")
    under = shop.listing(search, "570", shipping="15")
    exactly = shop.listing(search, "600", shipping="0")

    observed = [shop.observe(over_with_shipping), shop.observe(under), shop.observe(exactly)]
    deals = find_deals(session, search, observed, baseline=False, now=now, settings=settings)

    assert [(deal.listing_id, deal.total_price) for deal in deals] == [(under.id, Decimal("585")), (exactly.id, 600)]
    texts = [n.body_text for n in session.exec(select(Notification).order_by(Notification.id))]
    assert "Why: $15 under your target of $600" in texts[0]
    assert "Why: at your target of $600" in texts[1]


def test_target_price_applies_only_to_listings_in_the_searchs_currency(shop, session, settings, now) -> None:
    search = shop.search(target_price=Decimal("600"), currency="USD")
    euros = shop.listing(search, "500", currency="EUR")

    assert find_deals(session, search, [shop.observe(euros)], baseline=False, now=now, settings=settings) == []


def test_a_price_in_an_unknown_currency_is_never_a_deal(shop, session, settings, now) -> None:
    """A shop that states 150.00 in no currency we know: under the target, under the market and
    dropped — and still nothing anyone could buy for a known amount."""
    search = shop.search(target_price=Decimal("600"), market_discount_pct=Decimal("20"), price_drop_pct=Decimal("10"))
    shop.history(search, "240", "250", "260", "270")
    unknown = shop.listing(search, "150", currency=None)

    observed = [shop.observe(unknown, previous_total="300")]
    assert find_deals(session, search, observed, baseline=False, now=now, settings=settings) == []


def test_a_price_drop_of_enough_percent_and_amount_is_a_deal(shop, session, settings, now) -> None:
    search = shop.search(price_drop_pct=Decimal("15"))
    dropped = shop.listing(search, "575")
    slightly = shop.listing(search, "575")

    observed = [shop.observe(dropped, previous_total="700"), shop.observe(slightly, previous_total="600")]
    deals = find_deals(session, search, observed, baseline=False, now=now, settings=settings)

    assert reasons(deals) == [(dropped.id, DealReason.PRICE_DROP)]
    notification = session.exec(select(Notification)).one()
    assert "Why: dropped 18% from $700 to $575" in notification.body_text


def test_a_first_match_is_never_a_price_drop(shop, session, settings, now) -> None:
    search = shop.search(price_drop_pct=Decimal("15"))
    listing = shop.listing(search, "100")

    observed = [shop.observe(listing, is_new_match=True, previous_total="500")]
    assert find_deals(session, search, observed, baseline=False, now=now, settings=settings) == []


def test_the_one_cent_wobble_never_alerts(shop, session, settings, now, count_rows) -> None:
    search = shop.search(price_drop_pct=Decimal("0.01"))
    down = shop.listing(search, "9.99")
    up = shop.listing(search, "10.00")

    observed = [shop.observe(down, previous_total="10.00"), shop.observe(up, previous_total="9.99")]
    for _scan in range(3):
        assert find_deals(session, search, observed, baseline=False, now=now, settings=settings) == []
    assert count_rows(session, Notification) == 0


def test_a_drop_of_exactly_the_minimum_amount_is_a_deal(shop, session, settings, now) -> None:
    search = shop.search(price_drop_pct=Decimal("0.01"))
    listing = shop.listing(search, "9.00")

    deals = find_deals(
        session, search, [shop.observe(listing, previous_total="10.00")], baseline=False, now=now, settings=settings
    )

    assert reasons(deals) == [(listing.id, DealReason.PRICE_DROP)]


def test_the_baseline_scan_gives_no_new_listing_deals(shop, session, settings, now) -> None:
    search = shop.search(alert_new_listings=True)
    first = shop.listing(search, "700")
    assert (
        find_deals(session, search, [shop.observe(first, is_new_match=True)], baseline=True, now=now, settings=settings)
        == []
    )

    later = shop.listing(search, "720")
    deals = find_deals(
        session, search, [shop.observe(later, is_new_match=True)], baseline=False, now=now, settings=settings
    )

    assert reasons(deals) == [(later.id, DealReason.NEW_LISTING)]
    assert "Why: new listing" in session.exec(select(Notification)).one().body_text


def test_listings_that_cannot_be_bought_are_never_deals(shop, session, settings, now, count_rows) -> None:
    search = shop.search(target_price=Decimal("600"), alert_new_listings=True)
    sold, pending, ended_auction, unpriced = (shop.listing(search, price) for price in ("100", "100", "100", None))

    observed = [
        shop.observe(sold, is_new_match=True, status="sold"),
        shop.observe(pending, is_new_match=True, status="pending"),
        shop.observe(ended_auction, is_new_match=True, ends_at=now - timedelta(minutes=1)),
        shop.observe(unpriced, is_new_match=True),
    ]

    assert find_deals(session, search, observed, baseline=False, now=now, settings=settings) == []
    assert (count_rows(session, Deal), count_rows(session, Notification)) == (0, 0)


def test_a_listing_without_a_price_never_counts_as_a_price_change(shop, session, settings, now) -> None:
    search = shop.search(price_drop_pct=Decimal("1"))
    listing = shop.listing(search, None)

    observed = [shop.observe(listing, previous_total="500")]
    assert find_deals(session, search, observed, baseline=False, now=now, settings=settings) == []


def test_seeing_the_same_deals_again_creates_nothing_new(shop, session, settings, now, count_rows) -> None:
    search = shop.search(target_price=Decimal("600"), alert_recipients=["ana@example.com", "bo@example.com"])
    observed = [shop.observe(listing) for listing in shop.history(search, "500", "550")]

    first = find_deals(session, search, observed, baseline=False, now=now, settings=settings)
    session.commit()
    again = find_deals(session, search, observed, baseline=False, now=now + timedelta(minutes=15), settings=settings)

    assert (len(first), again) == (2, [])
    assert (count_rows(session, Deal), count_rows(session, Notification)) == (2, 4)


def test_each_recipient_gets_one_notification_per_deal(shop, session, settings, now) -> None:
    search = shop.search(target_price=Decimal("600"), alert_recipients=["ana@example.com", "bo@example.com"])
    listing = shop.listing(search, "480")

    [deal] = find_deals(session, search, [shop.observe(listing)], baseline=False, now=now, settings=settings)

    notifications = session.exec(select(Notification).order_by(Notification.recipient)).all()
    assert [(n.recipient, n.deal_id, n.reason, n.status, n.attempts) for n in notifications] == [
        ("ana@example.com", deal.id, DealReason.TARGET_PRICE, "pending", 0),
        ("bo@example.com", deal.id, DealReason.TARGET_PRICE, "pending", 0),
    ]
    assert notifications[0].subject == f"Switch OLED: {listing.title} — $480, under your target"


def test_find_deals_does_not_commit(shop, session, settings, now, count_rows) -> None:
    search = shop.search(target_price=Decimal("600"))
    listing = shop.listing(search, "480")

    assert find_deals(session, search, [shop.observe(listing)], baseline=False, now=now, settings=settings)
    session.rollback()

    assert (count_rows(session, Deal), count_rows(session, Notification)) == (0, 0)


def test_two_workers_scanning_at_once_queue_each_alert_once(
    engine: Engine, shop, settings: Settings, now: datetime, count_rows
) -> None:
    search = shop.search(target_price=Decimal("600"), alert_recipients=["ana@example.com", "bo@example.com"])
    observed = [shop.observe(listing) for listing in shop.history(search, "500", "510", "520")]
    first_found = threading.Event()
    results: dict[str, list[Deal]] = {}

    def scan(worker: str) -> None:
        with Session(engine, expire_on_commit=False) as own:
            if worker == "second":
                first_found.wait(10)  # insert while the first worker's deals are still uncommitted
            results[worker] = find_deals(
                own, own.get(Search, search.id), observed, baseline=False, now=now, settings=settings
            )
            if worker == "first":
                first_found.set()
                threading.Event().wait(0.3)
            own.commit()

    threads = [threading.Thread(target=scan, args=(worker,)) for worker in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert (len(results["first"]), results["second"]) == (3, [])
    with Session(engine) as check:
        assert (count_rows(check, Deal), count_rows(check, Notification)) == (3, 6)


def test_every_new_low_alerts_and_a_return_to_an_alerted_level_does_not(shop, session, settings, now) -> None:
    search = shop.search(price_drop_pct=Decimal("10"))
    listing = shop.listing(search, "100")
    scans = [("90", "100"), ("100", "90"), ("90", "100"), ("85", "90"), ("80", "85"), ("90", "80"), ("80", "90")]
    found = []
    for minutes, (price, previous) in enumerate(scans):
        seen = shop.observe(listing, price=Decimal(price), previous_total=previous)
        found += find_deals(
            session, search, [seen], baseline=False, now=now + timedelta(minutes=minutes), settings=settings
        )
        session.commit()

    assert [(deal.reason, deal.level, deal.total_price) for deal in found] == [
        (DealReason.PRICE_DROP, Decimal("90"), Decimal("90")),
        (DealReason.PRICE_DROP, Decimal("80"), Decimal("80")),  # 11 % under the last alerted 90
    ]
    texts = [n.body_text for n in session.exec(select(Notification).order_by(Notification.id))]
    assert ["dropped 10% from $100 to $90" in texts[0], "dropped 11% from $90 to $80" in texts[1]] == [True, True]


def test_a_price_drop_is_measured_from_the_last_alert_of_any_reason(shop, session, settings, now) -> None:
    search = shop.search(price_drop_pct=Decimal("10"), target_price=Decimal("500"))
    listing = shop.listing(search, "500")
    first = find_deals(session, search, [shop.observe(listing)], baseline=False, now=now, settings=settings)
    session.commit()
    wobble = shop.observe(listing, price=Decimal("470"), previous_total="520")  # 6 % under the alerted 500
    again = find_deals(session, search, [wobble], baseline=False, now=now + timedelta(minutes=1), settings=settings)

    assert [deal.reason for deal in first] == [DealReason.TARGET_PRICE]
    assert again == []


def test_junk_is_never_a_deal_unless_the_search_asks_for_broken_units(shop, session, settings, now) -> None:
    parts = "Nintendo Switch OLED console – for parts, not working"
    search = shop.search(target_price=Decimal("600"))
    repairer = shop.search(target_price=Decimal("600"), include_for_parts=True)
    broken = shop.listing(search, "80", title=parts)
    accessory = shop.listing(search, "20", title="Case for Nintendo Switch OLED console")

    for_search = find_deals(
        session, search, [shop.observe(broken), shop.observe(accessory)], baseline=False, now=now, settings=settings
    )
    for_repairer = find_deals(session, repairer, [shop.observe(broken)], baseline=False, now=now, settings=settings)

    assert for_search == []
    assert [(deal.listing_id, deal.reason) for deal in for_repairer] == [(broken.id, DealReason.TARGET_PRICE)]


def test_a_price_too_good_to_be_true_is_recorded_apart_and_never_alerted(shop, session, settings, now) -> None:
    search = shop.search(target_price=Decimal("600"), market_discount_pct=Decimal("20"))
    shop.history(search, "300", "310", "320", "330", "340")
    bait = shop.listing(search, "60")

    deals = find_deals(session, search, [shop.observe(bait)], baseline=False, now=now, settings=settings)

    assert {(deal.reason, deal.suspicious) for deal in deals} == {
        (DealReason.TARGET_PRICE, True),
        (DealReason.BELOW_MARKET, True),
    }
    assert session.exec(select(Notification)).all() == []


def test_under_the_target_but_over_the_market_says_so(shop, session, settings, now) -> None:
    search = shop.search(target_price=Decimal("400"))
    shop.history(search, "300", "310", "320", "330", "340")
    dear = shop.listing(search, "390")

    find_deals(session, search, [shop.observe(dear)], baseline=False, now=now, settings=settings)

    assert "Why: $10 under your target of $400, 22% above market" in session.exec(select(Notification)).one().body_text


def test_a_repost_of_an_alerted_listing_is_not_alerted_again(shop, session, settings, now) -> None:
    search = shop.search(target_price=Decimal("600"), alert_new_listings=True)
    original = shop.listing(search, "500")
    find_deals(session, search, [shop.observe(original)], baseline=False, now=now, settings=settings)
    session.commit()
    repost = replace(shop.observe(shop.listing(search, "500")), reposted_from=original.id)

    assert find_deals(session, search, [repost], baseline=False, now=now + timedelta(hours=1), settings=settings) == []
