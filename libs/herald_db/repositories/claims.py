"""The scheduler's claim: due posts taken with FOR UPDATE SKIP LOCKED, leased, returned.

The inner SELECT walks the partial index ``ix_posts_due`` (scheduled_at WHERE status =
'SCHEDULED'), so its cost follows the due rows, not the table.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

DUE_SELECT = """
SELECT id FROM posts
WHERE status = 'SCHEDULED' AND scheduled_at <= :now
ORDER BY scheduled_at
LIMIT :limit
FOR UPDATE SKIP LOCKED
"""

CLAIM_DUE = f"""
WITH due AS ({DUE_SELECT})
UPDATE posts AS p
SET status = 'PUBLISHING', claimed_at = :now, lease_expires_at = :lease, updated_at = now()
FROM due
WHERE p.id = due.id
RETURNING p.id, p.scheduled_at
"""

NEXT_DUE = """
SELECT min(scheduled_at) FROM posts WHERE status = 'SCHEDULED'
"""


@dataclass(frozen=True, slots=True)
class Claimed:
    post_id: uuid.UUID
    scheduled_at: datetime


async def claim_due_posts(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    rows = await session.execute(
        text(CLAIM_DUE), {"now": now, "limit": limit, "lease": now + lease}
    )
    return [Claimed(r.id, r.scheduled_at) for r in rows]


async def next_due_at(session: AsyncSession) -> datetime | None:
    value: datetime | None = (await session.execute(text(NEXT_DUE))).scalar_one_or_none()
    return value
