"""In-app notifications, as the API reads and marks them (events.py writes them)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.models import Notification
from herald_db.repositories.pagination import Position, newest_first


async def page_for_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    unread: bool,
    after: Position | None,
    limit: int,
) -> Sequence[Notification]:
    """The user's notifications newest first from just past ``after``, at most ``limit``."""
    stmt = select(Notification).where(Notification.user_id == user_id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = newest_first(stmt, Notification.created_at, Notification.id, after, limit)
    return (await session.execute(stmt)).scalars().all()


async def get_for_user(
    session: AsyncSession, user_id: uuid.UUID, notification_id: uuid.UUID
) -> Notification | None:
    return (
        await session.execute(
            select(Notification).where(
                Notification.id == notification_id, Notification.user_id == user_id
            )
        )
    ).scalar_one_or_none()


async def mark_all_read(session: AsyncSession, user_id: uuid.UUID, *, now: datetime) -> int:
    """Mark the user's unread notifications read at ``now``; how many there were."""
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .returning(Notification.id)
    )
    return len(result.all())
