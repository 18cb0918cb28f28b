"""task log counts rejected listings

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

A scan refuses, one by one, the listings of a page that no column could hold as they are (a
negative or out-of-range price, a currency ISO 4217 does not know, a NUL in a title…) and stores
the rest; the task log counts the refused ones. Scans logged before counted none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("task_log", schema=None) as batch_op:
        batch_op.add_column(sa.Column("listings_rejected", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("task_log", schema=None) as batch_op:
        batch_op.drop_column("listings_rejected")
