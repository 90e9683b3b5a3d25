"""The scheduler's claims, each one statement taken with FOR UPDATE SKIP LOCKED.

- due posts: SCHEDULED and due → PUBLISHING with a lease, one result row per platform;
- due retries: platform results waiting to retry whose time has come → PENDING again;
- expired leases: PUBLISHING posts whose job never finished (a dead worker, a Redis that
  lost its queue) → leased again and handed out anew.

Each claim bumps ``posts.claim_seq``, so every hand-over has its own job id. The inner
SELECTs walk partial indexes (``ix_posts_due``, ``ix_post_platform_results_retry_due``,
``ix_posts_lease``), so their cost follows the rows that are due, not the table.
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
WITH due AS ({DUE_SELECT}),
claimed AS (
    UPDATE posts AS p
    SET status = 'PUBLISHING', claimed_at = :now, lease_expires_at = :lease,
        claim_seq = p.claim_seq + 1, updated_at = now()
    FROM due
    WHERE p.id = due.id
    RETURNING p.id, p.scheduled_at, p.claim_seq, p.platforms
),
results AS (
    INSERT INTO post_platform_results
        (id, post_id, platform, status, attempts, created_at, updated_at)
    SELECT gen_random_uuid(), c.id, unnest(c.platforms), 'PENDING', 0, now(), now()
    FROM claimed AS c
    ON CONFLICT (post_id, platform) DO NOTHING
)
SELECT id, scheduled_at, claim_seq FROM claimed
"""

CLAIM_RETRIES = """
WITH due AS (
    SELECT id, post_id FROM post_platform_results
    WHERE status = 'RETRY_WAIT' AND next_attempt_at <= :now
    ORDER BY next_attempt_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
),
flipped AS (
    UPDATE post_platform_results AS r
    SET status = 'PENDING', next_attempt_at = NULL, updated_at = now()
    FROM due
    WHERE r.id = due.id
    RETURNING r.post_id
)
UPDATE posts AS p
SET lease_expires_at = :lease, claim_seq = p.claim_seq + 1, updated_at = now()
WHERE p.id IN (SELECT DISTINCT post_id FROM flipped) AND p.status = 'PUBLISHING'
RETURNING p.id, p.scheduled_at, p.claim_seq
"""

RECLAIM_EXPIRED = """
WITH stale AS (
    SELECT id FROM posts
    WHERE status = 'PUBLISHING' AND lease_expires_at <= :now
    ORDER BY lease_expires_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE posts AS p
SET lease_expires_at = :lease, claim_seq = p.claim_seq + 1, updated_at = now()
FROM stale
WHERE p.id = stale.id
RETURNING p.id, p.scheduled_at, p.claim_seq
"""

NEXT_WAKE = """
SELECT
    (SELECT min(scheduled_at) FROM posts WHERE status = 'SCHEDULED') AS next_due,
    (SELECT min(next_attempt_at) FROM post_platform_results
        WHERE status = 'RETRY_WAIT') AS next_retry,
    (SELECT min(lease_expires_at) FROM posts WHERE status = 'PUBLISHING') AS next_lease,
    (SELECT min(next_attempt_at) FROM webhook_deliveries
        WHERE status = 'PENDING') AS next_delivery
"""


@dataclass(frozen=True, slots=True)
class Claimed:
    post_id: uuid.UUID
    scheduled_at: datetime | None
    claim_seq: int


async def _claim(
    session: AsyncSession, sql: str, *, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    rows = await session.execute(text(sql), {"now": now, "limit": limit, "lease": now + lease})
    return [Claimed(r.id, r.scheduled_at, r.claim_seq) for r in rows]


async def claim_due_posts(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    return await _claim(session, CLAIM_DUE, now=now, limit=limit, lease=lease)


async def claim_due_retries(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    return await _claim(session, CLAIM_RETRIES, now=now, limit=limit, lease=lease)


async def reclaim_expired(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[Claimed]:
    return await _claim(session, RECLAIM_EXPIRED, now=now, limit=limit, lease=lease)


async def next_wake_at(session: AsyncSession) -> datetime | None:
    """The earliest time anything above (or a webhook delivery) comes due."""
    row = (await session.execute(text(NEXT_WAKE))).one()
    times = [t for t in row if t is not None]
    return min(times) if times else None


async def retries_waiting(session: AsyncSession) -> dict[str, int]:
    """Platform results waiting to retry, per platform (walks the retry partial index)."""
    rows = await session.execute(
        text(
            "SELECT platform, count(*) AS n FROM post_platform_results "
            "WHERE status = 'RETRY_WAIT' GROUP BY platform"
        )
    )
    return {str(r.platform): int(r.n) for r in rows}
