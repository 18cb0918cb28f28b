"""notification delivery state

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

The outbox sends each digest on its own: its rows are claimed with a lease (`claimed_until`) and
the digest's `message_id`, so a sender that dies after the server took the message re-sends that
one digest with the same Message-ID and nothing else. A failed send waits `next_attempt_at`
(exponential backoff), and an outage fails an alert only once its attempts span the give-up
window counted from `first_attempt_at`. Rows already queued are due at once. Going down drops the
state: an in-flight digest is then sent again whole by the previous release.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TIMESTAMPS = ("next_attempt_at", "first_attempt_at", "claimed_until")


def upgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        for name in _TIMESTAMPS:
            batch_op.add_column(sa.Column(name, models.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification", schema=None) as batch_op:
        for name in ("message_id", *reversed(_TIMESTAMPS)):
            batch_op.drop_column(name)
