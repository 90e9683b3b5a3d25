"""unknown outcomes

Revision ID: 7c3d1e8f0a52
Revises: 5b0e7c2a9d41
Create Date: 2026-11-26 21:40:00.000000

A platform result says explicitly that a request may have gone out without Herald knowing
the platform's answer (``unknown_since``, the start of that attempt) and keeps what the
attempt left to check it by (``pending_ref``, an Instagram container id). Until now this
was read from ``error_kind``, which the next failure overwrote.

Existing rows: a result not yet SUCCEEDED that has an attempt still SENDING or one that
ended UNKNOWN is taken as unknown since the latest such attempt started. That may ask the
platform once more than needed; it never lets a post go out twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = '7c3d1e8f0a52'
down_revision = '5b0e7c2a9d41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        'post_platform_results',
        sa.Column('unknown_since', sa.DateTime(timezone=True), nullable=True),
    )
    op.add_column(
        'post_platform_results', sa.Column('pending_ref', sa.String(length=255), nullable=True)
    )
    op.execute(
        """
        UPDATE post_platform_results AS r
        SET unknown_since = a.started_at
        FROM (
            SELECT result_id, max(started_at) AS started_at
            FROM publish_attempts
            WHERE outcome IN ('SENDING', 'UNKNOWN')
            GROUP BY result_id
        ) AS a
        WHERE a.result_id = r.id AND r.status <> 'SUCCEEDED'
        """
    )


def downgrade() -> None:
    op.drop_column('post_platform_results', 'pending_ref')
    op.drop_column('post_platform_results', 'unknown_since')
