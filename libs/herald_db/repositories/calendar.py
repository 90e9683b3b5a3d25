"""Calendar feeds: one secret feed per user, found by the SHA-256 of its token."""

from __future__ import annotations

import uuid

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.models import CalendarFeed


async def get_for_user(session: AsyncSession, user_id: uuid.UUID) -> CalendarFeed | None:
    rows = await session.execute(select(CalendarFeed).where(CalendarFeed.user_id == user_id))
    return rows.scalar_one_or_none()


async def find_by_token_hash(session: AsyncSession, token_hash: str) -> CalendarFeed | None:
    rows = await session.execute(select(CalendarFeed).where(CalendarFeed.token_hash == token_hash))
    return rows.scalar_one_or_none()


async def create(session: AsyncSession, user_id: uuid.UUID, token_hash: str) -> CalendarFeed | None:
    """The user's new feed, or None when the user already has one (kept as it is)."""
    inserted = await session.execute(
        insert(CalendarFeed)
        .values(id=uuid.uuid4(), user_id=user_id, token_hash=token_hash)
        .on_conflict_do_nothing(index_elements=["user_id"])
        .returning(CalendarFeed)
    )
    return inserted.scalar_one_or_none()


async def replace_token(
    session: AsyncSession, user_id: uuid.UUID, token_hash: str
) -> CalendarFeed | None:
    """Give the user's feed a new token (the old one stops working); None if it has none."""
    rows = await session.scalars(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user_id)
        .values(token_hash=token_hash, rotated_at=func.now())
        .returning(CalendarFeed),
        execution_options={"populate_existing": True},
    )
    return rows.one_or_none()


async def delete_for_user(session: AsyncSession, user_id: uuid.UUID) -> bool:
    result = await session.execute(
        delete(CalendarFeed).where(CalendarFeed.user_id == user_id).returning(CalendarFeed.id)
    )
    return result.scalar_one_or_none() is not None
