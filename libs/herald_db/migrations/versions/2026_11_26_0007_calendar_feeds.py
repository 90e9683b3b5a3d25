"""calendar feeds

Revision ID: 5b0e7c2a9d41
Revises: e60791965d1c
Create Date: 2026-11-26 20:00:00.000000

Each user's secret iCalendar feed (only the SHA-256 of its token is stored), and an index
on posts by (user_id, scheduled_at) so a feed reads only its user's posts in time order.
The index is built CONCURRENTLY: on a large posts table it takes a while but does not
block writes; its progress shows in pg_stat_progress_create_index.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op


revision = '5b0e7c2a9d41'
down_revision = 'e60791965d1c'
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    log.info(
        "Building ix_posts_user_scheduled concurrently (writes go on; progress in "
        "pg_stat_progress_create_index)"
    )
    with op.get_context().autocommit_block():
        # A build that failed before leaves an invalid index behind: start again.
        op.drop_index(
            'ix_posts_user_scheduled',
            table_name='posts',
            postgresql_concurrently=True,
            if_exists=True,
        )
        op.create_index(
            'ix_posts_user_scheduled',
            'posts',
            ['user_id', 'scheduled_at'],
            unique=False,
            postgresql_concurrently=True,
        )
    op.create_table(
        'calendar_feeds',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('rotated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_calendar_feeds_user_id_users'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_feeds')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_feeds_token_hash')),
        sa.UniqueConstraint('user_id', name=op.f('uq_calendar_feeds_user_id')),
    )


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index(
            'ix_posts_user_scheduled',
            table_name='posts',
            postgresql_concurrently=True,
            if_exists=True,
        )
    op.drop_table('calendar_feeds')
