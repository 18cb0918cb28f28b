"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listing",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("marketplace", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("external_id", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=False),
        sa.Column("image_url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True),
        sa.Column("price", models.types.ExactDecimal(), nullable=True),
        sa.Column("original_price", models.types.ExactDecimal(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("shipping", models.types.ExactDecimal(), nullable=True),
        sa.Column("condition", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("seller", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("ends_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "active",
                "pending",
                "sold",
                "ended",
                name="listing_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("first_seen_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listing")),
        sa.UniqueConstraint("marketplace", "external_id", name=op.f("uq_listing_marketplace_external_id")),
    )
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_listing_last_seen_at"), ["last_seen_at"], unique=False)
        batch_op.create_index("ix_listing_marketplace_status", ["marketplace", "status"], unique=False)

    op.create_table(
        "marketplace_state",
        sa.Column("marketplace", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("pause_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
        sa.Column(
            "breaker_state",
            sa.Enum(
                "closed",
                "open",
                "half_open",
                name="breaker_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("open_until", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_success_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error_class", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("updated_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("marketplace", name=op.f("pk_marketplace_state")),
    )
    op.create_table(
        "search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("query", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column(
            "excluded_words",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column(
            "marketplaces",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("min_price", models.types.ExactDecimal(), nullable=True),
        sa.Column("max_price", models.types.ExactDecimal(), nullable=True),
        sa.Column("target_price", models.types.ExactDecimal(), nullable=True),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column(
            "condition",
            sa.Enum(
                "new",
                "used",
                "refurbished",
                "for_parts",
                name="condition",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("location", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.Column("radius_miles", sa.Integer(), nullable=True),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("active", "paused", name="search_status", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column(
            "alert_recipients",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("market_discount_pct", models.types.ExactDecimal(), nullable=True),
        sa.Column("price_drop_pct", models.types.ExactDecimal(), nullable=True),
        sa.Column("alert_new_listings", sa.Boolean(), nullable=False),
        sa.Column("next_scan_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_scanned_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("interval_minutes >= 1", name=op.f("ck_search_interval_positive")),
        sa.CheckConstraint(
            "min_price IS NULL OR max_price IS NULL OR min_price <= max_price",
            name=op.f("ck_search_price_range_ordered"),
        ),
        sa.CheckConstraint("min_price IS NULL OR min_price >= 0", name=op.f("ck_search_min_price_not_negative")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search")),
    )
    with op.batch_alter_table("search", schema=None) as batch_op:
        batch_op.create_index("ix_search_due", ["status", "next_scan_at"], unique=False)

    op.create_table(
        "worker_heartbeat",
        sa.Column("worker_id", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("hostname", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("threads", sa.Integer(), nullable=False),
        sa.Column("started_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("worker_id", name=op.f("pk_worker_heartbeat")),
    )
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_worker_heartbeat_seen_at"), ["seen_at"], unique=False)

    op.create_table(
        "deal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "target_price",
                "below_market",
                "price_drop",
                "new_listing",
                name="deal_reason",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("total_price", models.types.ExactDecimal(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("score", models.types.ExactDecimal(), nullable=True),
        sa.Column("market_price", models.types.ExactDecimal(), nullable=True),
        sa.Column("sample_size", sa.Integer(), nullable=True),
        sa.Column("detected_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("dismissed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listing.id"], name=op.f("fk_deal_listing_id_listing"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["search_id"], ["search.id"], name=op.f("fk_deal_search_id_search"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deal")),
        sa.UniqueConstraint("search_id", "listing_id", "reason", name=op.f("uq_deal_search_id_listing_id_reason")),
    )
    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_deal_detected_at"), ["detected_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_deal_listing_id"), ["listing_id"], unique=False)
        batch_op.create_index("ix_deal_search_dismissed", ["search_id", "dismissed"], unique=False)

    op.create_table(
        "price_observation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("observed_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("price", models.types.ExactDecimal(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listing.id"], name=op.f("fk_price_observation_listing_id_listing"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_observation")),
    )
    with op.batch_alter_table("price_observation", schema=None) as batch_op:
        batch_op.create_index("ix_price_observation_listing_time", ["listing_id", "observed_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_price_observation_observed_at"), ["observed_at"], unique=False)

    op.create_table(
        "search_match",
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("first_matched_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listing.id"], name=op.f("fk_search_match_listing_id_listing"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["search_id"], ["search.id"], name=op.f("fk_search_match_search_id_search"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("search_id", "listing_id", name=op.f("pk_search_match")),
    )
    with op.batch_alter_table("search_match", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_match_listing_id"), ["listing_id"], unique=False)

    op.create_table(
        "task_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("task_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("search_id", sa.Integer(), nullable=True),
        sa.Column("marketplace", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "running",
                "success",
                "failed",
                "skipped",
                name="task_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("error_class", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("listings_found", sa.Integer(), nullable=False),
        sa.Column("listings_new", sa.Integer(), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["search_id"], ["search.id"], name=op.f("fk_task_log_search_id_search"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_log")),
    )
    with op.batch_alter_table("task_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_task_log_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_task_log_marketplace_created", ["marketplace", "created_at"], unique=False)
        batch_op.create_index("ix_task_log_search_created", ["search_id", "created_at"], unique=False)
        batch_op.create_index("ix_task_log_status_created", ["status", "created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_task_log_task_id"), ["task_id"], unique=False)

    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("search_id", sa.Integer(), nullable=False),
        sa.Column("listing_id", sa.Integer(), nullable=False),
        sa.Column("deal_id", sa.Integer(), nullable=True),
        sa.Column(
            "reason",
            sa.Enum(
                "target_price",
                "below_market",
                "price_drop",
                "new_listing",
                name="deal_reason",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("recipient", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("subject", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "sent",
                "failed",
                name="notification_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", models.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["deal_id"], ["deal.id"], name=op.f("fk_notification_deal_id_deal"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["listing_id"], ["listing.id"], name=op.f("fk_notification_listing_id_listing"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["search_id"], ["search.id"], name=op.f("fk_notification_search_id_search"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification")),
        sa.UniqueConstraint(
            "search_id",
            "listing_id",
            "reason",
            "recipient",
            name=op.f("uq_notification_search_id_listing_id_reason_recipient"),
        ),
    )
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notification_deal_id"), ["deal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_notification_listing_id"), ["listing_id"], unique=False)
        batch_op.create_index("ix_notification_status_created", ["status", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index("ix_notification_status_created")
        batch_op.drop_index(batch_op.f("ix_notification_listing_id"))
        batch_op.drop_index(batch_op.f("ix_notification_deal_id"))

    op.drop_table("notification")
    with op.batch_alter_table("task_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_task_log_task_id"))
        batch_op.drop_index("ix_task_log_status_created")
        batch_op.drop_index("ix_task_log_search_created")
        batch_op.drop_index("ix_task_log_marketplace_created")
        batch_op.drop_index(batch_op.f("ix_task_log_created_at"))

    op.drop_table("task_log")
    with op.batch_alter_table("search_match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_match_listing_id"))

    op.drop_table("search_match")
    with op.batch_alter_table("price_observation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_price_observation_observed_at"))
        batch_op.drop_index("ix_price_observation_listing_time")

    op.drop_table("price_observation")
    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.drop_index("ix_deal_search_dismissed")
        batch_op.drop_index(batch_op.f("ix_deal_listing_id"))
        batch_op.drop_index(batch_op.f("ix_deal_detected_at"))

    op.drop_table("deal")
    with op.batch_alter_table("worker_heartbeat", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_worker_heartbeat_seen_at"))

    op.drop_table("worker_heartbeat")
    with op.batch_alter_table("search", schema=None) as batch_op:
        batch_op.drop_index("ix_search_due")

    op.drop_table("search")
    op.drop_table("marketplace_state")
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_index("ix_listing_marketplace_status")
        batch_op.drop_index(batch_op.f("ix_listing_last_seen_at"))

    op.drop_table("listing")
