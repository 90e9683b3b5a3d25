"""wake the scheduler

Revision ID: 77b1b5913d2d
Revises: ec2b71bdcc66
Create Date: 2026-11-25 03:09:07.118709
"""

from __future__ import annotations

from alembic import op


revision = '77b1b5913d2d'
down_revision = 'ec2b71bdcc66'
branch_labels = None
depends_on = None


# Any write that can bring the next due time closer wakes the schedulers (LISTEN
# herald_due). pg_notify folds identical notifications within one transaction, so a bulk
# insert sends one.
FUNCTION = """
CREATE OR REPLACE FUNCTION herald_notify_due() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('herald_due', '');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

TRIGGERS = {
    "posts_wake_scheduler": (
        "posts",
        "AFTER INSERT OR UPDATE OF status, scheduled_at ON posts "
        "FOR EACH ROW WHEN (NEW.status = 'SCHEDULED')",
    ),
    "results_wake_scheduler": (
        "post_platform_results",
        "AFTER INSERT OR UPDATE OF status, next_attempt_at ON post_platform_results "
        "FOR EACH ROW WHEN (NEW.status = 'RETRY_WAIT')",
    ),
    "deliveries_wake_scheduler": (
        "webhook_deliveries",
        "AFTER INSERT OR UPDATE OF next_attempt_at ON webhook_deliveries "
        "FOR EACH ROW WHEN (NEW.status = 'PENDING')",
    ),
}


def upgrade() -> None:
    op.execute(FUNCTION)
    for name, (_, when) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} EXECUTE FUNCTION herald_notify_due()")


def downgrade() -> None:
    for name, (table, _) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS herald_notify_due()")
