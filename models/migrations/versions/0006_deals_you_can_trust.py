"""deals you can trust

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30

What a listing's title and condition say (product key, condition class, junk kind) with an index
to find a product's comparables, and the listing a repost continues; a search's opt-in to for-parts deals; on deals the market's
confidence, its comparables and the "too good to be true" flag; and a level in the keys of deals
and notifications, so that every new low of a price drop is a deal of its own.

Listings stored before keep no product key until a scan sees them again; a listing not seen
within MARKET_WINDOW_DAYS is no comparable anyway.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op
from sqlalchemy.dialects import postgresql

import models.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", models.types.ExactDecimal(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("confidence", models.types.ExactDecimal(), nullable=True))
        batch_op.add_column(
            sa.Column("comparables", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True)
        )
        batch_op.add_column(sa.Column("suspicious", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_constraint(batch_op.f("uq_deal_search_id_listing_id_reason"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_deal_search_id_listing_id_reason_level"), ["search_id", "listing_id", "reason", "level"]
        )

    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("product_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                "condition_class",
                sa.Enum(
                    "new",
                    "used",
                    "refurbished",
                    "for_parts",
                    name="condition_class",
                    native_enum=False,
                    create_constraint=True,
                    length=16,
                ),
                nullable=True,
            )
        )
        batch_op.add_column(
            sa.Column(
                "junk",
                sa.Enum(
                    "for_parts",
                    "accessory",
                    "placeholder_price",
                    "wanted",
                    "bundle",
                    "off_query",
                    name="junk_kind",
                    native_enum=False,
                    create_constraint=True,
                ),
                nullable=True,
            )
        )
        batch_op.create_index("ix_listing_product", ["product_key", "currency", "last_seen_at"], unique=False)
        batch_op.add_column(sa.Column("reposted_from_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_listing_reposted_from_id"), ["reposted_from_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_listing_reposted_from_id_listing"),
            "listing",
            ["reposted_from_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(sa.Column("level", models.types.ExactDecimal(), nullable=False, server_default="0"))
        batch_op.drop_constraint(batch_op.f("uq_notification_search_id_listing_id_reason_recipient"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_notification_search_id_listing_id_reason_level_recipient"),
            ["search_id", "listing_id", "reason", "level", "recipient"],
        )

    with op.batch_alter_table("search", schema=None) as batch_op:
        batch_op.add_column(sa.Column("include_for_parts", sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table("search_match", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "junk",
                sa.Enum(
                    "for_parts",
                    "accessory",
                    "placeholder_price",
                    "wanted",
                    "bundle",
                    "off_query",
                    name="junk_kind",
                    native_enum=False,
                    create_constraint=True,
                ),
                nullable=True,
            )
        )
        batch_op.create_index(
            "ix_search_match_excluded",
            ["first_matched_at"],
            unique=False,
            postgresql_where=sa.text("junk IS NOT NULL"),
            sqlite_where=sa.text("junk IS NOT NULL"),
        )


def downgrade() -> None:
    # The old keys allow one deal and alert per reason: keep the first of each.
    for table in ("notification", "deal"):
        op.execute(
            f"DELETE FROM {table} WHERE level <> 0 AND EXISTS (SELECT 1 FROM {table} AS earlier "
            f"WHERE earlier.search_id = {table}.search_id AND earlier.listing_id = {table}.listing_id "
            f"AND earlier.reason = {table}.reason AND earlier.id < {table}.id"
            + (" AND earlier.recipient = notification.recipient)" if table == "notification" else ")")
        )
    op.drop_index("ix_search_match_excluded", table_name="search_match")  # before SQLite copies the table
    with op.batch_alter_table("search_match", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("ck_search_match_junk_kind"), type_="check")
        batch_op.drop_column("junk")

    with op.batch_alter_table("search", schema=None) as batch_op:
        batch_op.drop_column("include_for_parts")

    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("uq_notification_search_id_listing_id_reason_level_recipient"), type_="unique"
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_notification_search_id_listing_id_reason_recipient"),
            ["search_id", "listing_id", "reason", "recipient"],
        )
        batch_op.drop_column("level")

    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_listing_reposted_from_id_listing"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_listing_reposted_from_id"))
        batch_op.drop_column("reposted_from_id")
        batch_op.drop_index("ix_listing_product")
        batch_op.drop_constraint(batch_op.f("ck_listing_junk_kind"), type_="check")
        batch_op.drop_constraint(batch_op.f("ck_listing_condition_class"), type_="check")
        batch_op.drop_column("junk")
        batch_op.drop_column("condition_class")
        batch_op.drop_column("product_key")

    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_deal_search_id_listing_id_reason_level"), type_="unique")
        batch_op.create_unique_constraint(
            batch_op.f("uq_deal_search_id_listing_id_reason"), ["search_id", "listing_id", "reason"]
        )
        batch_op.drop_column("suspicious")
        batch_op.drop_column("comparables")
        batch_op.drop_column("confidence")
        batch_op.drop_column("level")
