"""Webhook endpoints and deliveries."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

CLAIM_DELIVERIES = """
WITH due AS (
    SELECT id FROM webhook_deliveries
    WHERE status = 'PENDING' AND next_attempt_at <= :now
    ORDER BY next_attempt_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries AS d
SET next_attempt_at = :lease
FROM due
WHERE d.id = due.id
RETURNING d.id, d.attempts
"""


async def claim_due_deliveries(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[tuple[uuid.UUID, int]]:
    """Due PENDING deliveries, pushed out by ``lease`` so nobody else takes them meanwhile."""
    rows = await session.execute(
        text(CLAIM_DELIVERIES), {"now": now, "limit": limit, "lease": now + lease}
    )
    return [(r.id, r.attempts) for r in rows]
