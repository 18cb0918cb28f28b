"""What the alert e-mail shows, and that nothing a marketplace sent can run or break it."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import select

from models.tables import Notification
from scanner.alerts import deliver_pending
from scanner.alerts.render import build_digest, message_id
from scanner.deals import find_deals


def test_a_deal_card_shows_what_a_buyer_needs(shop, session, settings, now, engine, smtp_server, make_settings) -> None:
    search = shop.search(target_price=Decimal("600"), market_discount_pct=Decimal("30"))
    shop.history(search, "800", "850", "900", "950", "1000")
    bargain = shop.listing(search, "560", shipping="18", title="Nintendo Switch OLED white, boxed")
    find_deals(session, search, [shop.observe(bargain)], baseline=False, now=now, settings=settings)
    session.commit()

    deliver_pending(engine, make_settings(smtp_server.port))

    [message] = smtp_server.messages
    subject = "Switch OLED: Nintendo Switch OLED white, boxed — $578, under your target, 36% under market"
    assert message["Subject"].split() == subject.split()  # Python may fold a long header with a double space
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    assert f'<img src="{bargain.image_url}"' in html
    assert (
        f'<a href="{bargain.url}" style="color:#0b57d0;text-decoration:none;">Nintendo Switch OLED white, boxed</a>'
        in html
    )
    for shown in (
        "$578",
        "incl. $18 shipping",
        "$22 under your target of $600",
        "36% under the market price of $900 (5 comparable listings)",
        "Market price $900 (5 comparable listings) · 36% under",
        "Market price from the median of 5 comparable listings of the same product, $800–$1,000, medium confidence"
        " (e.g. Nintendo Switch OLED console $1,000; ",
        "Demo market · Austin, TX",
    ):
        assert shown in html
        assert shown in text
    assert bargain.url in text


def test_a_hostile_listing_arrives_as_text_and_its_links_are_dropped(
    shop, session, settings, now, engine, smtp_server, make_settings
) -> None:
    search = shop.search(target_price=Decimal("600"))
    hostile = shop.listing(
        search,
        "100",
        title="Nintendo Switch OLED <script>alert(1)</script>\r\nBcc: victim@example.com",
        url="javascript:alert(1)",
        image_url="data:image/svg+xml,<svg onload=alert(1)>",
        location='"><img src=x onerror=alert(2)>',
    )
    find_deals(session, search, [shop.observe(hostile)], baseline=False, now=now, settings=settings)
    session.commit()

    deliver_pending(engine, make_settings(smtp_server.port))

    [message] = smtp_server.messages
    html = message.get_body(("html",)).get_content()
    assert "Nintendo Switch OLED &lt;script&gt;alert(1)&lt;/script&gt; Bcc: victim@example.com" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<script" not in html and "<svg" not in html and "javascript:" not in html and "data:" not in html
    assert "<img" not in html and "<a " not in html
    assert message["Bcc"] is None
    subject = (
        "Switch OLED: Nintendo Switch OLED <script>alert(1)</script> Bcc: victim@example.com — $100, under your target"
    )
    assert message["Subject"].split() == subject.split()
    assert "<script>alert(1)</script>" in message.get_body(("plain",)).get_content()


def test_a_listing_that_is_a_deal_for_two_reasons_is_shown_once_with_both(shop, session, settings, now) -> None:
    search = shop.search(target_price=Decimal("600"), price_drop_pct=Decimal("10"))
    listing = shop.listing(search, "575")
    find_deals(
        session, search, [shop.observe(listing, previous_total="700")], baseline=False, now=now, settings=settings
    )
    notifications = list(session.exec(select(Notification).order_by(Notification.id)))

    message = build_digest(
        notifications,
        search_names={search.id: search.name},
        recipient="ana@example.com",
        sender="a@scout.example",
        now=now,
    )

    assert len(notifications) == 2
    text = message.get_body(("plain",)).get_content()
    assert text.count(listing.title) == 1
    assert "Why: $25 under your target of $600\nWhy: dropped 18% from $700 to $575" in text
    assert message["Subject"] == notifications[0].subject


def test_the_message_id_is_the_same_for_the_same_notifications() -> None:
    assert message_id([7, 8, 9], "Deal Scout <alerts@scout.example>") == "<deal-scout.n7-8-9@scout.example>"
    many = list(range(1, 40))
    assert message_id(many, "alerts@scout.example") == message_id(many, "alerts@scout.example")
    assert message_id(many, "alerts@scout.example").startswith("<deal-scout.n1-39.")
    assert message_id(many, "alerts@scout.example") != message_id(many[:-1], "alerts@scout.example")


def test_the_digest_is_dated_in_utc(shop, session, settings, now) -> None:
    search = shop.search(target_price=Decimal("600"))
    find_deals(session, search, [shop.observe(shop.listing(search, "500"))], baseline=False, now=now, settings=settings)
    notifications = list(session.exec(select(Notification)))

    sent_at = datetime(2025, 6, 2, 8, 30, tzinfo=UTC)
    message = build_digest(
        notifications,
        search_names={search.id: search.name},
        recipient="a@x.example",
        sender="s@x.example",
        now=sent_at,
    )

    assert message["Date"] == "Mon, 02 Jun 2025 08:30:00 +0000"
