"""Publish attempts, as the API reads them (the publisher writes them: publishing.py)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.models import PublishAttempt


async def for_post(session: AsyncSession, post_id: uuid.UUID) -> Sequence[PublishAttempt]:
    """Every attempt of the post, oldest first (the caller has checked who owns it)."""
    rows = await session.execute(
        select(PublishAttempt)
        .where(PublishAttempt.post_id == post_id)
        .order_by(PublishAttempt.started_at, PublishAttempt.id)
    )
    return rows.scalars().all()
