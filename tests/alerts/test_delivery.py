"""Delivering the outbox to a real SMTP server: one digest per recipient, each listing in it once,
each alert exactly once, failures counted and retried, nothing attempted without SMTP settings."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from models.operations import requeue_failed_alerts
from models.tables import Listing, Notification, NotificationStatus, Search
from scanner.alerts import DeliveryReport, deliver_pending
from scanner.deals import find_deals
from scanner.observed import ObservedListing

# The login tests speak plain SMTP to a local test server; aiosmtpd warns about exactly that.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def outbox(engine: Engine) -> list[Notification]:
    with Session(engine) as session:
        return list(session.exec(select(Notification).order_by(Notification.id)))


def summary(report: DeliveryReport) -> tuple[int, int, int, int, int]:
    return report.sent, report.emails, report.deferred, report.failed, report.pending


@pytest.fixture
def scan(session, settings, now):
    """Run the deal rules for one scan of `search` and commit, as the pipeline does."""

    def scan(search: Search, observed: list[ObservedListing], *, minutes_later: int = 0) -> int:
        deals = find_deals(
            session, search, observed, baseline=False, now=now + timedelta(minutes=minutes_later), settings=settings
        )
        session.commit()
        return len(deals)

    return scan


@pytest.fixture
def three_deals(shop, scan) -> tuple[Search, list[Listing], list[ObservedListing]]:
    """One scan of a search with a $600 target that found three listings under it."""
    search = shop.search(target_price=Decimal("600"))
    listings = shop.history(search, "480", "510", "595")
    observed = [shop.observe(listing) for listing in listings]
    assert scan(search, observed) == 3
    return search, listings, observed


def test_one_scan_with_three_deals_sends_one_digest_listing_all_three(
    engine, three_deals, smtp_server, make_settings, now
) -> None:
    _search, listings, _observed = three_deals

    report = deliver_pending(engine, make_settings(smtp_server.port), now=now)

    assert summary(report) == (3, 1, 0, 0, 0)
    [message] = smtp_server.messages
    assert (message["To"], message["From"]) == ("ana@example.com", "Deal Scout <alerts@scout.example>")
    assert message["Subject"] == "3 deals for Switch OLED"
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for listing in listings:
        assert listing.title in text
        assert f'<a href="{listing.url}"' in html
    ids = "-".join(str(notification.id) for notification in outbox(engine))
    assert message["Message-ID"] == f"<deal-scout.n{ids}@scout.example>"
    assert "remove this address from the search" in text
    assert [(n.status, n.sent_at, n.attempts) for n in outbox(engine)] == [(NotificationStatus.SENT, now, 1)] * 3


def test_the_same_observations_again_create_and_send_nothing(
    engine, three_deals, scan, smtp_server, make_settings, now
) -> None:
    search, _listings, observed = three_deals
    deliver_pending(engine, make_settings(smtp_server.port), now=now)

    assert scan(search, observed, minutes_later=15) == 0
    report = deliver_pending(engine, make_settings(smtp_server.port), now=now + timedelta(minutes=15))

    assert summary(report) == (0, 0, 0, 0, 0)
    assert len(smtp_server.messages) == 1


def test_each_recipient_gets_one_digest_of_all_their_searches(engine, shop, scan, smtp_server, make_settings) -> None:
    for name, price in (("Switch OLED", "480"), ("Steam Deck", "350")):
        search = shop.search(name=name, target_price=Decimal("600"), alert_recipients=["ana@x.example", "bo@x.example"])
        scan(search, [shop.observe(shop.listing(search, price))])

    report = deliver_pending(engine, make_settings(smtp_server.port))

    assert (report.sent, report.emails) == (4, 2)
    assert sorted((m["To"], m["Subject"]) for m in smtp_server.messages) == [
        ("ana@x.example", "2 deals for Steam Deck, Switch OLED"),
        ("bo@x.example", "2 deals for Steam Deck, Switch OLED"),
    ]


def test_a_listing_several_searches_of_one_person_matched_is_sent_once(
    engine, shop, scan, smtp_server, make_settings
) -> None:
    strats = shop.search(name="Strats", target_price=Decimal("600"), alert_recipients=["ana@x.example"])
    guitars = shop.search(name="Any guitar", target_price=Decimal("700"), alert_recipients=["ana@x.example"])
    listing = shop.listing(strats, "480")
    for search in (strats, guitars):
        scan(search, [shop.observe(listing)])

    report = deliver_pending(engine, make_settings(smtp_server.port))

    [message] = smtp_server.messages
    text = message.get_body(("plain",)).get_content()
    assert (report.sent, report.emails, text.count(listing.title)) == (2, 1, 1)
    assert "Found by your searches: Strats, Any guitar" in text
    assert message["Subject"].startswith("Strats: ")


def test_when_smtp_is_down_alerts_stay_pending_with_the_attempt_and_error(
    engine, three_deals, closed_port, make_settings, now
) -> None:
    report = deliver_pending(engine, make_settings(closed_port), now=now)

    assert summary(report) == (0, 0, 3, 0, 3)
    for notification in outbox(engine):
        assert (notification.status, notification.attempts, notification.sent_at) == ("pending", 1, None)
        assert notification.next_attempt_at == now + timedelta(seconds=30)
        assert notification.last_error.startswith("ConnectionRefusedError")
        assert notification.last_error.endswith(f"(127.0.0.1:{closed_port})")


def test_when_smtp_is_back_each_alert_is_delivered_exactly_once(
    engine, three_deals, closed_port, smtp_server, make_settings, now
) -> None:
    deliver_pending(engine, make_settings(closed_port), now=now)
    deliver_pending(engine, make_settings(closed_port), now=now + timedelta(seconds=30))

    back = now + timedelta(seconds=90)
    first = deliver_pending(engine, make_settings(smtp_server.port), now=back)
    second = deliver_pending(engine, make_settings(smtp_server.port), now=back + timedelta(minutes=10))

    assert summary(first) == (3, 1, 0, 0, 0)
    assert summary(second) == (0, 0, 0, 0, 0)
    assert len(smtp_server.messages) == 1
    assert [(n.status, n.attempts, n.last_error) for n in outbox(engine)] == [("sent", 3, None)] * 3


def test_after_attempts_spanning_the_window_an_alert_is_failed_until_requeued(
    engine, three_deals, closed_port, smtp_server, make_settings, now
) -> None:
    down = make_settings(closed_port, notify_max_attempts=2, notify_give_up_after_hours=1)
    assert deliver_pending(engine, down, now=now).deferred == 3
    assert deliver_pending(engine, down, now=now + timedelta(seconds=30)).deferred == 3  # 2 attempts, 30 s apart

    last = deliver_pending(engine, down, now=now + timedelta(hours=1))

    assert summary(last) == (0, 0, 0, 3, 0)
    assert [(n.status, n.attempts, n.next_attempt_at) for n in outbox(engine)] == [("failed", 3, None)] * 3
    assert deliver_pending(engine, make_settings(smtp_server.port)).sent == 0

    assert requeue_failed_alerts(engine) == 3
    assert [(n.status, n.attempts, n.last_error) for n in outbox(engine)] == [("pending", 0, None)] * 3
    assert deliver_pending(engine, make_settings(smtp_server.port)).sent == 3


def test_without_smtp_settings_nothing_is_attempted(engine, three_deals, make_settings) -> None:
    report = deliver_pending(engine, make_settings(None))

    assert (report.smtp_configured, report.pending, report.sent, report.deferred) == (False, 3, 0, 0)
    assert report.summary() == "SMTP not configured (set SMTP_HOST): 3 notifications stay pending"
    assert [(n.status, n.attempts, n.last_error) for n in outbox(engine)] == [("pending", 0, None)] * 3


def test_two_workers_delivering_at_once_send_each_alert_once(engine, shop, scan, smtp_server, make_settings) -> None:
    recipients = [f"user{number}@x.example" for number in range(3)]
    for number in range(4):
        search = shop.search(name=f"Search {number}", target_price=Decimal("600"), alert_recipients=recipients)
        scan(search, [shop.observe(listing) for listing in shop.history(search, "400", "450")])
    smtp_server.mailbox.delay_seconds = 0.05
    settings = make_settings(smtp_server.port)
    start = threading.Barrier(2)
    reports: list[DeliveryReport] = []

    def worker() -> None:
        start.wait(10)
        reports.append(deliver_pending(engine, settings))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sum(report.sent for report in reports) == 24
    sent_to = Counter((m["To"], m["Subject"]) for m in smtp_server.messages)
    assert len(sent_to) == 3 and set(sent_to.values()) == {1}
    assert {n.status for n in outbox(engine)} == {"sent"}


def test_the_smtp_login_is_used_when_a_user_is_set(engine, three_deals, smtp_server_with_login, make_settings) -> None:
    user, password = smtp_server_with_login.login
    settings = make_settings(smtp_server_with_login.port, smtp_user=user, smtp_password=password)

    assert deliver_pending(engine, settings).sent == 3
    assert len(smtp_server_with_login.messages) == 1


def test_a_refused_login_is_recorded_without_the_password(
    engine, three_deals, smtp_server_with_login, make_settings
) -> None:
    user, password = smtp_server_with_login.login
    wrong = f"{password}-wrong"
    settings = make_settings(smtp_server_with_login.port, smtp_user=user, smtp_password=wrong)

    report = deliver_pending(engine, settings)

    assert summary(report) == (0, 0, 3, 0, 3)
    errors = {n.last_error for n in outbox(engine)}
    assert len(errors) == 1 and errors.pop().startswith("SMTPAuthenticationError: 535")
    assert password not in report.summary() and password not in str(errors)


def test_without_a_user_no_login_is_tried(engine, three_deals, smtp_server_with_login, make_settings) -> None:
    report = deliver_pending(engine, make_settings(smtp_server_with_login.port))

    assert report.deferred == 3
    assert outbox(engine)[0].last_error.startswith("SMTPSenderRefused: 530")


@pytest.mark.parametrize(("tls", "error"), [("starttls", "SMTPNotSupportedError"), ("ssl", "SSLError")])
def test_tls_is_never_skipped_when_the_server_cannot_do_it(
    engine, three_deals, smtp_server, make_settings, tls, error
) -> None:
    report = deliver_pending(engine, make_settings(smtp_server.port, smtp_tls=tls))

    assert (report.deferred, smtp_server.messages) == (3, [])
    assert outbox(engine)[0].last_error.startswith(error)


def test_two_new_lows_waiting_in_one_digest_show_the_newest(engine, shop, scan, smtp_server, make_settings) -> None:
    search = shop.search(price_drop_pct=Decimal("10"))
    listing = shop.listing(search, "100")
    scan(search, [shop.observe(listing, price=Decimal("90"), previous_total="100")])
    scan(search, [shop.observe(listing, price=Decimal("80"), previous_total="90")], minutes_later=15)

    report = deliver_pending(engine, make_settings(smtp_server.port))

    [message] = smtp_server.messages
    text = message.get_body(("plain",)).get_content()
    assert (report.sent, text.count(listing.title)) == (2, 1)
    assert "dropped 11% from $90 to $80" in text and "from $100 to $90" not in text
