"""Posts and their per-platform results, always scoped by the owning user for API reads."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.enums import PostStatus
from herald_db.models import Post, PostPlatformResult
from herald_db.repositories.pagination import Position, newest_first

DUE_CHANNEL = "herald_due"


async def get_for_user(
    session: AsyncSession, user_id: uuid.UUID, post_id: uuid.UUID, *, for_update: bool = False
) -> Post | None:
    stmt = select(Post).where(Post.id == post_id, Post.user_id == user_id)
    if for_update:
        stmt = stmt.with_for_update()
    result = await session.execute(stmt)
    return result.scalar_one_or_none()


# Reads that only answer a request select plain rows (attribute access like the models) and
# skip building ORM objects nobody changes: on a page of posts that is most of the cost.
_POSTS = Post.__table__
_RESULTS = PostPlatformResult.__table__


async def read_for_user(
    session: AsyncSession, user_id: uuid.UUID, post_id: uuid.UUID
) -> Row[Any] | None:
    """One of the user's posts as a row, for reading."""
    stmt = select(_POSTS).where(_POSTS.c.id == post_id, _POSTS.c.user_id == user_id)
    return (await session.execute(stmt)).first()


async def list_for_user(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    limit: int,
    status: PostStatus | None = None,
    platform: str | None = None,
    scheduled_from: datetime | None = None,
    scheduled_to: datetime | None = None,
    after: Position | None = None,
) -> Sequence[Row[Any]]:
    """Rows, newest first by (created_at, id): a total order, so the cursor is stable."""
    stmt = select(_POSTS).where(Post.user_id == user_id)
    if status is not None:
        stmt = stmt.where(Post.status == status)
    if platform is not None:
        stmt = stmt.where(Post.platforms.contains([platform]))
    if scheduled_from is not None:
        stmt = stmt.where(Post.scheduled_at >= scheduled_from)
    if scheduled_to is not None:
        stmt = stmt.where(Post.scheduled_at < scheduled_to)
    stmt = newest_first(stmt, Post.created_at, Post.id, after, limit)
    return (await session.execute(stmt)).all()


async def insert_many(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[Post]:
    """Insert posts given as column values; returns them in the order given.

    One INSERT ... VALUES (...), (...) RETURNING for the lot (SQLAlchemy's insertmanyvalues),
    not a round trip per row.
    """
    if not rows:
        return []
    result = await session.scalars(
        insert(Post).returning(Post, sort_by_parameter_order=True), list(rows)
    )
    return list(result.all())


async def in_window(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    statuses: Sequence[PostStatus],
    scheduled_from: datetime,
    limit: int,
) -> Sequence[Post]:
    """The user's posts in ``statuses`` scheduled at or after ``scheduled_from``, soonest
    first, at most ``limit`` (read through ix_posts_user_scheduled)."""
    stmt = (
        select(Post)
        .where(
            Post.user_id == user_id,
            Post.scheduled_at >= scheduled_from,
            Post.status.in_(list(statuses)),
        )
        .order_by(Post.scheduled_at, Post.id)
        .limit(limit)
    )
    return (await session.execute(stmt)).scalars().all()


async def results_for(
    session: AsyncSession, post_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[PostPlatformResult]]:
    out: dict[uuid.UUID, list[PostPlatformResult]] = {pid: [] for pid in post_ids}
    if not post_ids:
        return out
    rows = await session.execute(
        select(PostPlatformResult)
        .where(PostPlatformResult.post_id.in_(post_ids))
        .order_by(PostPlatformResult.platform)
    )
    for r in rows.scalars():
        out[r.post_id].append(r)
    return out


async def result_rows_for(
    session: AsyncSession, post_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Row[Any]]]:
    """The posts' per-platform results as rows, for reading (see :func:`results_for`)."""
    out: dict[uuid.UUID, list[Row[Any]]] = {pid: [] for pid in post_ids}
    if not post_ids:
        return out
    rows = await session.execute(
        select(_RESULTS).where(_RESULTS.c.post_id.in_(post_ids)).order_by(_RESULTS.c.platform)
    )
    for r in rows:
        out[r.post_id].append(r)
    return out


def lease_run_out(post: Post) -> None:
    """Give the post a lease that has already run out on the database's clock (the
    scheduler compares it there), so the scheduler's next pass hands it out. Written by
    the caller's next flush."""
    post.lease_expires_at = func.now()


async def delete_post(session: AsyncSession, post: Post) -> None:
    await session.execute(delete(Post).where(Post.id == post.id))


async def notify_due(session: AsyncSession, when: datetime) -> None:
    """Wake the schedulers (delivered by Postgres only when this transaction commits)."""
    await session.execute(
        text("SELECT pg_notify(:channel, :payload)"),
        {"channel": DUE_CHANNEL, "payload": when.isoformat()},
    )


async def now(session: AsyncSession) -> datetime:
    return (await session.execute(select(func.now()))).scalar_one()
