"""Webhook endpoints and deliveries."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.repositories.claims import LEASE, NOW

CLAIM_DELIVERIES = f"""
WITH due AS (
    SELECT id FROM webhook_deliveries
    WHERE status = 'PENDING' AND next_attempt_at <= {NOW}
    ORDER BY next_attempt_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries AS d
SET next_attempt_at = {LEASE}
FROM due
WHERE d.id = due.id
RETURNING d.id, d.attempts
"""


async def claim_due_deliveries(
    session: AsyncSession, *, limit: int, lease: timedelta, shift: timedelta = timedelta()
) -> list[tuple[uuid.UUID, int]]:
    """Due PENDING deliveries (on the database's clock), pushed out by ``lease`` so nobody
    else takes them meanwhile."""
    rows = await session.execute(
        text(CLAIM_DELIVERIES), {"limit": limit, "lease": lease, "shift": shift}
    )
    return [(r.id, r.attempts) for r in rows]
