"""Users."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.models import User


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    result = await session.execute(select(User).where(User.email == email.lower()))
    return result.scalar_one_or_none()


async def create(session: AsyncSession, *, email: str, password_hash: str, timezone: str) -> User:
    user = User(email=email.lower(), password_hash=password_hash, timezone=timezone)
    session.add(user)
    await session.flush()
    return user
