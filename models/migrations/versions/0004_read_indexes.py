"""indexes for the dashboard's reads on a large database

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

Measured by `python -m bench --only queries` (docs/performance.md): the Deals page sorted every
deal, charting a search's prices read each price's row, and the last success per marketplace
read the whole task log.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.create_index("ix_deal_score_detected", ["score", "detected_at", "id"], unique=False)
        batch_op.create_index("ix_deal_reason", ["reason"], unique=False)

    with op.batch_alter_table("price_observation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_price_observation_listing_time_price", ["listing_id", "observed_at", "price", "currency"], unique=False
        )
        batch_op.drop_index("ix_price_observation_listing_time")

    with op.batch_alter_table("task_log", schema=None) as batch_op:
        batch_op.create_index(
            "ix_task_log_marketplace_status_created", ["marketplace", "status", "created_at"], unique=False
        )
        batch_op.drop_index("ix_task_log_marketplace_created")


def downgrade() -> None:
    with op.batch_alter_table("task_log", schema=None) as batch_op:
        batch_op.create_index("ix_task_log_marketplace_created", ["marketplace", "created_at"], unique=False)
        batch_op.drop_index("ix_task_log_marketplace_status_created")

    with op.batch_alter_table("price_observation", schema=None) as batch_op:
        batch_op.create_index("ix_price_observation_listing_time", ["listing_id", "observed_at"], unique=False)
        batch_op.drop_index("ix_price_observation_listing_time_price")

    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.drop_index("ix_deal_reason")
        batch_op.drop_index("ix_deal_score_detected")
