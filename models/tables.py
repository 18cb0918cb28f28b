"""The tables Deal Scout keeps: searches, what the marketplaces showed, deals, the alert outbox,
task logs and per-marketplace state. Shared by the dashboard and the worker.

Enumerations are stored as short strings with a CHECK constraint (no native PostgreSQL enum
types), so adding a value later is a one-line migration on both backends.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel, col, func

from models.types import ExactDecimal, UTCDateTime, utcnow

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JSONList = sa.JSON().with_variant(JSONB(), "postgresql")


class Marketplace(StrEnum):
    DEMO = "demo"
    EBAY = "ebay"
    CRAIGSLIST = "craigslist"
    FACEBOOK = "facebook"
    MERCARI = "mercari"
    JSONLD = "jsonld"
    KIJIJI = "kijiji"
    MARKTPLAATS = "marktplaats"


class SearchStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"


class Condition(StrEnum):
    NEW = "new"
    USED = "used"
    REFURBISHED = "refurbished"
    FOR_PARTS = "for_parts"


class JunkKind(StrEnum):
    """Why a listing is no evidence of a price and never a deal (unless a search opts in)."""

    FOR_PARTS = "for_parts"  # broken, not working, locked
    ACCESSORY = "accessory"  # a part or accessory *for* the product, not the product
    PLACEHOLDER_PRICE = "placeholder_price"  # $0, $1, 9,999,999, "price on request", a token bid
    WANTED = "wanted"  # a wanted / ISO post: somebody buying, not selling
    BUNDLE = "bundle"  # a lot of several units or several products
    OFF_QUERY = "off_query"  # a different product the search's query dragged in


class ListingStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    SOLD = "sold"
    ENDED = "ended"


class DealReason(StrEnum):
    TARGET_PRICE = "target_price"
    BELOW_MARKET = "below_market"
    PRICE_DROP = "price_drop"
    NEW_LISTING = "new_listing"


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class TaskStatus(StrEnum):
    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    SKIPPED = "skipped"


class ErrorClass(StrEnum):
    """Why a scan failed (`task_log.error_class`): the worker classifies, everyone reads."""

    RATE_LIMITED = "rate_limited"
    FORBIDDEN = "forbidden"  # 403 or a bot wall
    LOGIN_WALL = "login_wall"
    CAPTCHA = "captcha"  # a refused response carrying a challenge
    BLOCKED = "blocked"  # a 200 page that is a block, consent or challenge page instead of results
    SERVER_ERROR = "server_error"
    TIMEOUT = "timeout"
    CONNECTION = "connection"
    HTTP_ERROR = "http_error"  # any other 4xx
    TOO_LARGE = "too_large"
    ROBOTS_DISALLOWED = "robots_disallowed"
    MARKUP_CHANGED = "markup_changed"  # the page no longer looks like what the parser knows
    PARSE_TIMEOUT = "parse_timeout"  # reading one page took more CPU than the parse budget allows
    SUSPECT_EMPTY = "suspect_empty"  # no listings where this search's recent scans found many
    QUOTA_EXHAUSTED = "quota_exhausted"
    NOT_ALLOWED = "not_allowed"  # e.g. a private address for the jsonld adapter
    CONFIGURATION = "configuration"
    INTERRUPTED = "interrupted"  # the worker stopped mid-scan; the task was handed back
    INTERNAL = "internal"  # a bug of ours; the traceback is logged


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


def table_of(model: type[SQLModel]) -> sa.Table:
    """The table a model class maps, typed: SQLModel does not declare `Model.__table__`."""
    table = sa.inspect(model).local_table
    assert isinstance(table, sa.Table)
    return table


def _enum(enum: type[StrEnum], name: str) -> sa.Enum:
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(16, *(len(member.value) for member in enum)),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


def _money(nullable: bool = True) -> Any:
    return Field(default=None, sa_type=ExactDecimal, nullable=nullable)


def _timestamp(*, nullable: bool = False, index: bool = False, default: bool = True) -> Any:
    if default:
        return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=nullable, index=index)
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _fk(target: str, *, nullable: bool = False, ondelete: str = "CASCADE", index: bool = True) -> Any:
    return Field(
        default=None,
        sa_column_args=[sa.ForeignKey(target, ondelete=ondelete)],
        sa_type=sa.Integer,
        nullable=nullable,
        index=index,
    )


class Search(SQLModel, table=True):
    """A saved search: what to look for, where, how often, and what counts as a deal."""

    __tablename__ = "search"
    __table_args__ = (
        sa.Index("ix_search_due", "status", "next_scan_at"),
        sa.CheckConstraint("interval_minutes >= 1", name="interval_positive"),
        sa.CheckConstraint("min_price IS NULL OR min_price >= 0", name="min_price_not_negative"),
        sa.CheckConstraint(
            "min_price IS NULL OR max_price IS NULL OR min_price <= max_price", name="price_range_ordered"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    query: str = Field(max_length=500)
    excluded_words: list[str] = Field(default_factory=list, sa_type=JSONList)
    marketplaces: list[str] = Field(default_factory=list, sa_type=JSONList)
    min_price: Decimal | None = _money()
    max_price: Decimal | None = _money()
    target_price: Decimal | None = _money()
    currency: str = Field(default="USD", max_length=3)
    condition: Condition | None = Field(default=None, sa_type=_enum(Condition, "condition"))
    category: str | None = Field(default=None, max_length=64)  # eBay category id, Craigslist section
    location: str | None = Field(default=None, max_length=200)
    radius_miles: int | None = Field(default=None)
    interval_minutes: int = Field(default=15)
    status: SearchStatus = Field(default=SearchStatus.ACTIVE, sa_type=_enum(SearchStatus, "search_status"))
    alert_recipients: list[str] = Field(default_factory=list, sa_type=JSONList)
    market_discount_pct: Decimal | None = _money()
    price_drop_pct: Decimal | None = _money()
    alert_new_listings: bool = Field(default=False)
    include_for_parts: bool = Field(default=False)  # for people who repair: broken units can be deals
    next_scan_at: datetime = _timestamp()
    last_scanned_at: datetime | None = _timestamp(nullable=True, default=False)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()


class Listing(SQLModel, table=True):
    """One item on one marketplace, as last seen; its price history is in `PriceObservation`."""

    __tablename__ = "listing"
    __table_args__ = (
        sa.UniqueConstraint("marketplace", "external_id"),
        sa.Index("ix_listing_marketplace_status", "marketplace", "status"),
        # Finding a product's comparables reads one range of this index, newest first.
        sa.Index("ix_listing_product", "product_key", "currency", "last_seen_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    marketplace: str = Field(max_length=32)
    external_id: str = Field(max_length=128)
    title: str = Field(max_length=500)
    url: str = Field(max_length=2048)
    image_url: str | None = Field(default=None, max_length=2048)
    price: Decimal | None = _money()
    previous_price: Decimal | None = _money()  # last known before the latest sighting: what a scan compares
    original_price: Decimal | None = _money()
    currency: str | None = Field(default=None, max_length=3)  # unknown when the page did not say
    shipping: Decimal | None = _money()
    condition: str | None = Field(default=None, max_length=64)
    location: str | None = Field(default=None, max_length=200)
    seller: str | None = Field(default=None, max_length=200)
    ends_at: datetime | None = _timestamp(nullable=True, default=False)
    status: ListingStatus = Field(default=ListingStatus.ACTIVE, sa_type=_enum(ListingStatus, "listing_status"))
    # What the title and condition say, for comparing prices (`scanner.appraisal`):
    product_key: str | None = Field(default=None, max_length=64)
    condition_class: Condition | None = Field(default=None, sa_type=_enum(Condition, "condition_class"))
    junk: JunkKind | None = Field(default=None, sa_type=_enum(JunkKind, "junk_kind"))  # whatever the search
    # The seller's earlier listing of the same item, when this one is its repost under a new id.
    reposted_from_id: int | None = _fk("listing.id", nullable=True, ondelete="SET NULL")
    first_seen_at: datetime = _timestamp()
    last_seen_at: datetime = _timestamp(index=True)


#: What a buyer pays for a listing, in SQL: its price plus shipping where known (NULL without a price).
LISTING_TOTAL = col(Listing.price) + func.coalesce(col(Listing.shipping), 0)


class PriceObservation(SQLModel, table=True):
    """A price seen for a listing; a row is added only when the price changed."""

    __tablename__ = "price_observation"
    # Price and currency ride along so that charting a search's prices reads only this index.
    __table_args__ = (
        sa.Index("ix_price_observation_listing_time_price", "listing_id", "observed_at", "price", "currency"),
    )

    id: int | None = Field(default=None, primary_key=True)
    listing_id: int = _fk("listing.id", index=False)
    observed_at: datetime = _timestamp(index=True)
    price: Decimal = _money(nullable=False)
    currency: str = Field(max_length=3)


class SearchMatch(SQLModel, table=True):
    """Which listings a search has found; deals and market prices are computed per search."""

    __tablename__ = "search_match"
    __table_args__ = (
        # The Deals page's "excluded listings", newest first, read without the rows of real items.
        sa.Index(
            "ix_search_match_excluded",
            "first_matched_at",
            postgresql_where=sa.text("junk IS NOT NULL"),
            sqlite_where=sa.text("junk IS NOT NULL"),
        ),
    )

    search_id: int = Field(
        sa_column_args=[sa.ForeignKey("search.id", ondelete="CASCADE")], sa_type=sa.Integer, primary_key=True
    )
    listing_id: int = Field(
        sa_column_args=[sa.ForeignKey("listing.id", ondelete="CASCADE")],
        sa_type=sa.Integer,
        primary_key=True,
        index=True,
    )
    first_matched_at: datetime = _timestamp()
    junk: JunkKind | None = Field(default=None, sa_type=_enum(JunkKind, "junk_kind"))  # for this search's query


class Deal(SQLModel, table=True):
    """Why a listing is a deal for a search: one per (search, listing, reason, level). A price
    drop's level is the price it dropped to, so every new low is a deal; other reasons have level
    0 and happen once."""

    __tablename__ = "deal"
    __table_args__ = (
        sa.UniqueConstraint("search_id", "listing_id", "reason", "level"),
        sa.Index("ix_deal_search_dismissed", "search_id", "dismissed"),
        sa.Index("ix_deal_score_detected", "score", "detected_at", "id"),  # the Deals page's "best first"
        sa.Index("ix_deal_reason", "reason"),  # which reasons have deals, without reading them all
    )

    id: int | None = Field(default=None, primary_key=True)
    search_id: int = _fk("search.id", index=False)
    listing_id: int = _fk("listing.id")
    reason: DealReason = Field(sa_type=_enum(DealReason, "deal_reason"))
    level: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal, nullable=False)
    total_price: Decimal = _money(nullable=False)
    currency: str = Field(max_length=3)
    score: Decimal | None = _money()
    market_price: Decimal | None = _money()
    sample_size: int | None = None
    confidence: Decimal | None = _money()  # 0–1, of the market price
    comparables: list[int] | None = Field(default=None, sa_type=JSONList)  # listing ids the market rests on
    suspicious: bool = Field(default=False)  # too good to be true: shown apart, never alerted
    detected_at: datetime = _timestamp(index=True)
    dismissed: bool = Field(default=False)


class Notification(SQLModel, table=True):
    """The alert outbox: written with the deal, unique per recipient, sent by the worker."""

    __tablename__ = "notification"
    __table_args__ = (
        sa.UniqueConstraint("search_id", "listing_id", "reason", "level", "recipient"),
        sa.Index("ix_notification_status_created", "status", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    search_id: int = _fk("search.id", index=False)
    listing_id: int = _fk("listing.id")
    deal_id: int | None = _fk("deal.id", nullable=True, ondelete="SET NULL")
    reason: DealReason = Field(sa_type=_enum(DealReason, "deal_reason"))
    level: Decimal = Field(default=Decimal(0), sa_type=ExactDecimal, nullable=False)  # the deal's
    recipient: str = Field(max_length=320)
    subject: str = Field(max_length=300)
    body_text: str = Field(sa_type=sa.Text)
    body_html: str = Field(sa_type=sa.Text)
    status: NotificationStatus = Field(
        default=NotificationStatus.PENDING, sa_type=_enum(NotificationStatus, "notification_status")
    )
    attempts: int = Field(default=0)
    last_error: str | None = Field(default=None, sa_type=sa.Text)
    created_at: datetime = _timestamp()
    sent_at: datetime | None = _timestamp(nullable=True, default=False)
    # Delivery state (see scanner.alerts.outbox): the backoff, the give-up window, the sender's lease,
    # and the Message-ID of the digest in flight, which a crash re-sends unchanged.
    next_attempt_at: datetime | None = _timestamp(nullable=True, default=False)  # NULL: due now
    first_attempt_at: datetime | None = _timestamp(nullable=True, default=False)
    claimed_until: datetime | None = _timestamp(nullable=True, default=False)
    message_id: str | None = Field(default=None, sa_type=sa.Text)


class TaskLog(SQLModel, table=True):
    """One row per task run (per marketplace for scans): what the operations page reads."""

    __tablename__ = "task_log"
    __table_args__ = (
        sa.Index("ix_task_log_marketplace_status_created", "marketplace", "status", "created_at"),
        sa.Index("ix_task_log_status_created", "status", "created_at"),
        sa.Index("ix_task_log_search_created", "search_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    task_name: str = Field(max_length=64)
    task_id: str | None = Field(default=None, max_length=64, index=True)
    search_id: int | None = _fk("search.id", nullable=True, ondelete="SET NULL", index=False)
    marketplace: str | None = Field(default=None, max_length=32)
    status: TaskStatus = Field(sa_type=_enum(TaskStatus, "task_status"))
    error_class: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, sa_type=sa.Text)
    listings_found: int = Field(default=0)
    listings_new: int = Field(default=0)
    listings_rejected: int = Field(default=0)  # listings of the page refused at the adapter boundary
    duration_ms: int = Field(default=0)
    created_at: datetime = _timestamp(index=True)


class MarketplaceState(SQLModel, table=True):
    """Per-marketplace switches shared by every worker: operator pause and the circuit breaker."""

    __tablename__ = "marketplace_state"

    marketplace: str = Field(primary_key=True, max_length=32)
    paused: bool = Field(default=False)
    pause_reason: str | None = Field(default=None, max_length=500)
    breaker_state: BreakerState = Field(default=BreakerState.CLOSED, sa_type=_enum(BreakerState, "breaker_state"))
    consecutive_failures: int = Field(default=0)
    open_until: datetime | None = _timestamp(nullable=True, default=False)
    last_success_at: datetime | None = _timestamp(nullable=True, default=False)
    last_failure_at: datetime | None = _timestamp(nullable=True, default=False)
    last_error_class: str | None = Field(default=None, max_length=32)
    updated_at: datetime = _timestamp()


class WorkerHeartbeat(SQLModel, table=True):
    """Each worker process stamps this every few seconds; the health check reads the newest."""

    __tablename__ = "worker_heartbeat"

    worker_id: str = Field(primary_key=True, max_length=200)
    hostname: str = Field(max_length=200)
    pid: int
    threads: int
    started_at: datetime = _timestamp()
    seen_at: datetime = _timestamp(index=True)


class ApiUsage(SQLModel, table=True):
    """Calls made to a metered API per UTC day, shared by every worker (eBay's daily quota)."""

    __tablename__ = "api_usage"

    marketplace: str = Field(primary_key=True, max_length=32)
    day: date = Field(primary_key=True)
    calls: int = Field(default=0)
