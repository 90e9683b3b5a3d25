"""The scheduler's claims, each one statement taken with FOR UPDATE SKIP LOCKED.

- due posts: SCHEDULED and due → PUBLISHING with a lease, one result row per platform,
  bound to the account that platform publishes with now (the most recently connected
  active one): every attempt and every check of that row uses that account, whatever the
  user connects later;
- due retries: platform results waiting to retry whose time has come → PENDING again;
- expired leases: PUBLISHING posts whose job never finished (a dead worker, a Redis that
  lost its queue) → leased again and handed out anew.

Every time is compared on the database's clock (``now()``, moved by ``shift`` where a test
moves time), never a host's: two hosts whose clocks disagree still agree on what is due and
whose lease ran out.

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

# The database's now, moved by the caller's shift; and the lease measured from it.
NOW = "(now() + CAST(:shift AS interval))"
LEASE = f"({NOW} + CAST(:lease AS interval))"

DUE_SELECT = f"""
SELECT id FROM posts
WHERE status = 'SCHEDULED' AND scheduled_at <= {NOW}
ORDER BY scheduled_at
LIMIT :limit
FOR UPDATE SKIP LOCKED
"""

CLAIM_DUE = f"""
WITH due AS ({DUE_SELECT}),
claimed AS (
    UPDATE posts AS p
    SET status = 'PUBLISHING', claimed_at = {NOW}, lease_expires_at = {LEASE},
        claim_seq = p.claim_seq + 1, updated_at = now()
    FROM due
    WHERE p.id = due.id
    RETURNING p.id, p.user_id, p.scheduled_at, p.claim_seq, p.platforms
),
results AS (
    INSERT INTO post_platform_results
        (id, post_id, platform, account_id, status, attempts, created_at, updated_at)
    SELECT gen_random_uuid(), c.id, pl.platform, (
        SELECT a.id FROM publishing_accounts AS a
        WHERE a.user_id = c.user_id AND a.platform = pl.platform AND a.is_active
        ORDER BY a.updated_at DESC
        LIMIT 1
    ), 'PENDING', 0, now(), now()
    FROM claimed AS c, unnest(c.platforms) AS pl(platform)
    ON CONFLICT (post_id, platform) DO NOTHING
)
SELECT id, scheduled_at, claim_seq FROM claimed
"""

CLAIM_RETRIES = f"""
WITH due AS (
    SELECT id, post_id FROM post_platform_results
    WHERE status = 'RETRY_WAIT' AND next_attempt_at <= {NOW}
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
SET lease_expires_at = {LEASE}, claim_seq = p.claim_seq + 1,
    updated_at = now()
WHERE p.id IN (SELECT DISTINCT post_id FROM flipped) AND p.status = 'PUBLISHING'
RETURNING p.id, p.scheduled_at, p.claim_seq
"""

RECLAIM_EXPIRED = f"""
WITH stale AS (
    SELECT id FROM posts
    WHERE status = 'PUBLISHING' AND lease_expires_at <= {NOW}
    ORDER BY lease_expires_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE posts AS p
SET lease_expires_at = {LEASE}, claim_seq = p.claim_seq + 1,
    updated_at = now()
FROM stale
WHERE p.id = stale.id
RETURNING p.id, p.scheduled_at, p.claim_seq
"""

NEXT_WAKE = f"""
SELECT extract(epoch FROM least(
    (SELECT min(scheduled_at) FROM posts WHERE status = 'SCHEDULED'),
    (SELECT min(next_attempt_at) FROM post_platform_results WHERE status = 'RETRY_WAIT'),
    (SELECT min(lease_expires_at) FROM posts WHERE status = 'PUBLISHING'),
    (SELECT min(next_attempt_at) FROM webhook_deliveries WHERE status = 'PENDING')
) - {NOW})
"""


@dataclass(frozen=True, slots=True)
class Claimed:
    post_id: uuid.UUID
    scheduled_at: datetime | None
    claim_seq: int


async def _claim(
    session: AsyncSession, sql: str, *, limit: int, lease: timedelta, shift: timedelta
) -> list[Claimed]:
    rows = await session.execute(text(sql), {"limit": limit, "lease": lease, "shift": shift})
    return [Claimed(r.id, r.scheduled_at, r.claim_seq) for r in rows]


async def claim_due_posts(
    session: AsyncSession, *, limit: int, lease: timedelta, shift: timedelta = timedelta()
) -> list[Claimed]:
    return await _claim(session, CLAIM_DUE, limit=limit, lease=lease, shift=shift)


async def claim_due_retries(
    session: AsyncSession, *, limit: int, lease: timedelta, shift: timedelta = timedelta()
) -> list[Claimed]:
    return await _claim(session, CLAIM_RETRIES, limit=limit, lease=lease, shift=shift)


async def reclaim_expired(
    session: AsyncSession, *, limit: int, lease: timedelta, shift: timedelta = timedelta()
) -> list[Claimed]:
    return await _claim(session, RECLAIM_EXPIRED, limit=limit, lease=lease, shift=shift)


async def seconds_until_next_wake(
    session: AsyncSession, *, shift: timedelta = timedelta()
) -> float | None:
    """Seconds until anything above (or a webhook delivery) comes due, on the database's
    clock (negative when already due); None when nothing waits."""
    value = (await session.execute(text(NEXT_WAKE), {"shift": shift})).scalar_one()
    return None if value is None else float(value)


async def retries_waiting(session: AsyncSession) -> dict[str, int]:
    """Platform results waiting to retry, per platform (walks the retry partial index)."""
    rows = await session.execute(
        text(
            "SELECT platform, count(*) AS n FROM post_platform_results "
            "WHERE status = 'RETRY_WAIT' GROUP BY platform"
        )
    )
    return {str(r.platform): int(r.n) for r in rows}
