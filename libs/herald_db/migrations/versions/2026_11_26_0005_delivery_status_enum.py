"""webhook delivery status is an enum

Revision ID: 3f6a0c9d2e51
Revises: 77b1b5913d2d
Create Date: 2026-11-26 09:00:00.000000

The column keeps its rows: every value written so far (PENDING, DELIVERED, FAILED) is a
member of the enum, and the column only widens (16 to 32 characters, like every other
status) and gains the CHECK constraint that the other enum columns carry. The upgrade
fails, and changes nothing, if a row holds any other value.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '3f6a0c9d2e51'
down_revision = '77b1b5913d2d'
branch_labels = None
depends_on = None

VALUES = ("PENDING", "DELIVERED", "FAILED")

# The wake-up trigger reads the column, so Postgres will not retype it under the trigger:
# it is dropped and made again around the change, as 77b1b5913d2d made it.
TRIGGER = (
    "CREATE TRIGGER deliveries_wake_scheduler "
    "AFTER INSERT OR UPDATE OF next_attempt_at ON webhook_deliveries "
    "FOR EACH ROW WHEN (NEW.status = 'PENDING') EXECUTE FUNCTION herald_notify_due()"
)


def _retype(length: int, was: int) -> None:
    op.execute("DROP TRIGGER deliveries_wake_scheduler ON webhook_deliveries")
    op.alter_column(
        'webhook_deliveries',
        'status',
        existing_type=sa.String(length=was),
        type_=sa.String(length=length),
        existing_nullable=False,
    )
    op.execute(TRIGGER)


def upgrade() -> None:
    _retype(32, was=16)
    op.create_check_constraint(
        op.f('ck_webhook_deliveries_delivery_status'),
        'webhook_deliveries',
        sa.column('status').in_(VALUES),
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f('ck_webhook_deliveries_delivery_status'), 'webhook_deliveries', type_='check'
    )
    _retype(16, was=32)
