"""Idempotency keys of POST requests: one row per (user, key), the answer stored on it."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.models import IdempotencyKey


async def drop_expired(
    session: AsyncSession, user_id: uuid.UUID, key: str, *, before: datetime
) -> None:
    """Forget the user's ``key`` if it was taken before ``before``."""
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.user_id == user_id,
            IdempotencyKey.key == key,
            IdempotencyKey.created_at < before,
        )
    )


async def take(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    request_hash: str,
) -> bool:
    """Insert the key's row; False when the user already holds it. Another transaction
    inserting the same key makes this wait on the unique index until it ends."""
    inserted = await session.execute(
        insert(IdempotencyKey)
        .values(
            id=uuid.uuid4(),
            user_id=user_id,
            key=key,
            method=method,
            path=path,
            request_hash=request_hash,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "key"])
        .returning(IdempotencyKey.id)
    )
    return inserted.scalar_one_or_none() is not None


async def get(session: AsyncSession, user_id: uuid.UUID, key: str) -> IdempotencyKey:
    """The user's row for ``key`` (it must exist)."""
    return (
        await session.execute(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
    ).scalar_one()
