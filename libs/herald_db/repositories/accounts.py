"""Publishing accounts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.enums import Platform
from herald_db.models import PublishingAccount


async def active_platforms(session: AsyncSession, user_id: uuid.UUID) -> set[Platform]:
    rows = await session.execute(
        select(PublishingAccount.platform).where(
            PublishingAccount.user_id == user_id,
            PublishingAccount.is_active.is_(True),
            PublishingAccount.needs_reconnect.is_(False),
        )
    )
    return {Platform(p) for p in rows.scalars()}


async def list_for_user(session: AsyncSession, user_id: uuid.UUID) -> Sequence[PublishingAccount]:
    rows = await session.execute(
        select(PublishingAccount)
        .where(PublishingAccount.user_id == user_id)
        .order_by(PublishingAccount.platform, PublishingAccount.created_at)
    )
    return rows.scalars().all()


async def get_for_user(
    session: AsyncSession, user_id: uuid.UUID, account_id: uuid.UUID
) -> PublishingAccount | None:
    rows = await session.execute(
        select(PublishingAccount).where(
            PublishingAccount.id == account_id, PublishingAccount.user_id == user_id
        )
    )
    return rows.scalar_one_or_none()


async def active_for_platform(
    session: AsyncSession, user_id: uuid.UUID, platform: Platform
) -> PublishingAccount | None:
    """The account a post uses on ``platform``: the most recently connected active one."""
    rows = await session.execute(
        select(PublishingAccount)
        .where(
            PublishingAccount.user_id == user_id,
            PublishingAccount.platform == platform,
            PublishingAccount.is_active.is_(True),
        )
        .order_by(PublishingAccount.updated_at.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()
