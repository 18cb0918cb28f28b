"""`models.bulk.insert_rows` on SQLite and PostgreSQL: one statement for many rows, with the
database's unique constraint deciding what is inserted, skipped or refreshed."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from sqlmodel import Session, col, func, select

from models.bulk import insert_rows
from models.tables import Listing, ListingStatus

SEEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
TABLE = Listing.__table__  # type: ignore[attr-defined]
KEEP_OLD_PRICE = (("previous_price", col(Listing.price)),)


def row(external_id: str, price: str | None, title: str = "Fender Stratocaster") -> dict[str, object]:
    return {
        "marketplace": "demo",
        "external_id": external_id,
        "title": title,
        "url": f"https://market.example/{external_id}",
        "price": Decimal(price) if price is not None else None,
        "currency": "USD",
        "status": ListingStatus.ACTIVE,
        "first_seen_at": SEEN,
        "last_seen_at": SEEN,
    }


def test_rows_arrive_with_exact_money_aware_times_and_their_returned_ids(session: Session) -> None:
    returned = insert_rows(
        session, TABLE, [row("a", "1299.99"), row("b", None)], returning=(col(Listing.id), col(Listing.external_id))
    )
    session.commit()
    listings = {listing.external_id: listing for listing in session.exec(select(Listing))}
    assert {external_id: listing_id for listing_id, external_id in returned} == {
        key: listing.id for key, listing in listings.items()
    }
    assert listings["a"].price == Decimal("1299.99") and listings["b"].price is None
    assert listings["a"].last_seen_at == SEEN


def test_a_clashing_row_is_skipped_and_not_returned(session: Session) -> None:
    insert_rows(session, TABLE, [row("a", "10")])
    returned = insert_rows(
        session,
        TABLE,
        [row("a", "99", title="changed"), row("b", "20")],
        conflict=("marketplace", "external_id"),
        returning=(col(Listing.external_id),),
    )
    assert [external_id for (external_id,) in returned] == ["b"]
    kept = session.exec(select(Listing).where(Listing.external_id == "a")).one()
    assert (kept.title, kept.price) == ("Fender Stratocaster", Decimal("10.00"))


def test_a_refresh_updates_the_named_columns_and_sees_the_stored_values(session: Session) -> None:
    insert_rows(session, TABLE, [row("a", "10")])
    returned = insert_rows(
        session,
        TABLE,
        [row("a", "8.50", title="changed")],
        conflict=("marketplace", "external_id"),
        update=("price",),
        also_set=KEEP_OLD_PRICE,
        returning=(col(Listing.price), col(Listing.previous_price), col(Listing.title)),
    )
    assert [tuple(item) for item in returned] == [(Decimal("8.50"), Decimal("10.00"), "Fender Stratocaster")]


def test_nothing_to_insert_runs_nothing(session: Session) -> None:
    assert insert_rows(session, TABLE, [], returning=(col(Listing.id),)) == []
    assert session.exec(select(func.count()).select_from(Listing)).one() == 0
