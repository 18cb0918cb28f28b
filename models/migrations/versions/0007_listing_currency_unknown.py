"""listing currency may be unknown

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30

A shop page may state a price without a currency ISO 4217 knows, and with no symbol or locale that
implies one: its listing is kept with the currency unknown (NULL) rather than with a guessed USD.
Going down, such listings take ISO 4217's own code for "no currency", XXX, which compares with
nothing.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_CURRENCY = sqlmodel.sql.sqltypes.AutoString(length=3)


def upgrade() -> None:
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.alter_column("currency", existing_type=_CURRENCY, nullable=True)


def downgrade() -> None:
    op.execute(sa.text("UPDATE listing SET currency = 'XXX' WHERE currency IS NULL"))
    with op.batch_alter_table("listing", schema=None) as batch_op:
        batch_op.alter_column("currency", existing_type=_CURRENCY, nullable=False)
