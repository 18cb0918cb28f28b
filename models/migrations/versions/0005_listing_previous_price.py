"""listing previous price

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

The price at the sighting before the last, set by the scan's upsert under the row lock, so a scan
learns what changed without reading the price history. Filled with the current price: at the
moment of the upgrade, that is the price every listing had when last seen.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.add_column(sa.Column("previous_price", models.types.ExactDecimal(), nullable=True))
    op.execute("UPDATE listing SET previous_price = price")


def downgrade() -> None:
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.drop_column("previous_price")
