"""Metric collection's reads and writes, and the aggregates behind the reports.

Collection: due fetches are claimed with ``FOR UPDATE SKIP LOCKED`` and leased by pushing
``next_at`` forward, so collectors never take the same row and a dead collector's rows
come due again. A fetch ends DONE (with one snapshot), GONE (the post was deleted on the
platform; every later fetch of it stops too) or FAILED (with the reason).

Reports: every aggregate is computed here, in SQL, over ``analytics_latest`` (one row per
(post, platform), kept as snapshots arrive). Flushes; the caller commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.enums import CHECKPOINTS, Platform
from herald_db.models import AnalyticsFetch, AnalyticsSnapshot

# -- collection ---------------------------------------------------------------------------

# Whole accounts at a time: a claim that cut one account's due fetches in two would read
# them in two requests where one would do (X reads 100 posts per lookup). So the due fetches
# nearest their time (a window of ``:scan`` rows, read without locks) are grouped by
# (platform, account); the groups are taken in the order of their earliest fetch, each
# whole, while fewer than ``:limit`` fetches come before it (the last group may carry the
# claim past the batch). Only the rows taken are then locked (``SKIP LOCKED``: a row another
# collector holds is left to it) and leased.
CLAIM_DUE = """
WITH nearest AS (
    SELECT f.id, f.next_at, r.platform, r.account_id
    FROM analytics_fetches AS f
    JOIN post_platform_results AS r ON r.id = f.result_id
    WHERE f.status = 'PENDING' AND f.next_at <= :now
    ORDER BY f.next_at
    LIMIT :scan
),
grouped AS (
    SELECT platform, account_id, min(next_at) AS first_at, count(*) AS n
    FROM nearest
    GROUP BY platform, account_id
),
picked AS (
    SELECT platform, account_id FROM (
        SELECT platform, account_id,
               sum(n) OVER (ORDER BY first_at, platform, account_id) - n AS before
        FROM grouped
    ) AS g
    WHERE before < :limit
),
due AS (
    SELECT f.id FROM analytics_fetches AS f
    WHERE f.id IN (
        SELECT w.id FROM nearest AS w
        JOIN picked AS p
          ON p.platform = w.platform AND p.account_id IS NOT DISTINCT FROM w.account_id)
      AND f.status = 'PENDING' AND f.next_at <= :now
    FOR UPDATE SKIP LOCKED
),
claimed AS (
    UPDATE analytics_fetches AS f
    SET next_at = :lease, attempts = f.attempts + 1
    FROM due
    WHERE f.id = due.id
    RETURNING f.id, f.result_id, f.checkpoint, f.due_at, f.attempts
)
SELECT c.id, c.result_id, c.checkpoint, c.due_at, c.attempts, r.post_id, r.platform,
       r.account_id, r.external_post_id, r.published_at, p.user_id
FROM claimed AS c
JOIN post_platform_results AS r ON r.id = c.result_id
JOIN posts AS p ON p.id = r.post_id
"""
# How many due fetches, per fetch of the batch, a claim looks at to find whole accounts.
SCAN_FACTOR = 10


@dataclass(frozen=True, slots=True)
class DueFetch:
    id: int
    result_id: uuid.UUID
    checkpoint: str
    due_at: datetime
    attempts: int
    post_id: uuid.UUID
    user_id: uuid.UUID
    platform: Platform
    account_id: uuid.UUID | None
    external_post_id: str | None
    published_at: datetime | None


async def claim_due(
    session: AsyncSession, *, now: datetime, limit: int, lease: timedelta
) -> list[DueFetch]:
    """Due fetches of whole (platform, account) groups, about ``limit`` of them (more when
    the last account taken has more), earliest accounts first, leased until ``now + lease``.
    An account with more due fetches than ``SCAN_FACTOR * limit`` is taken over several
    claims."""
    rows = await session.execute(
        text(CLAIM_DUE),
        {"now": now, "limit": limit, "scan": limit * SCAN_FACTOR, "lease": now + lease},
    )
    return [
        DueFetch(
            r.id,
            r.result_id,
            r.checkpoint,
            r.due_at,
            r.attempts,
            r.post_id,
            r.user_id,
            Platform(r.platform),
            r.account_id,
            r.external_post_id,
            r.published_at,
        )
        for r in rows
    ]


@dataclass(frozen=True, slots=True)
class Figures:
    """One fetched reading of one (post, platform), answering one or more fetches."""

    fetch_ids: tuple[int, ...]
    result_id: uuid.UUID
    post_id: uuid.UUID
    user_id: uuid.UUID
    platform: Platform
    published_at: datetime
    likes: int
    shares: int
    comments: int
    impressions: int
    fetched_at: datetime


INSERT_SNAPSHOTS = """
INSERT INTO analytics_snapshots
    (post_id, platform, likes, shares, comments, impressions, fetched_at, fetch_id)
SELECT * FROM unnest(
    CAST(:post_ids AS uuid[]), CAST(:platforms AS varchar[]), CAST(:likes AS bigint[]),
    CAST(:shares AS bigint[]), CAST(:comments AS bigint[]), CAST(:impressions AS bigint[]),
    CAST(:fetched AS timestamptz[]), CAST(:fetch_ids AS bigint[]))
ON CONFLICT (fetch_id) DO NOTHING
"""

UPSERT_LATEST = """
INSERT INTO analytics_latest
    (result_id, post_id, user_id, platform, published_at, likes, shares, comments,
     impressions, fetched_at)
SELECT * FROM unnest(
    CAST(:result_ids AS uuid[]), CAST(:post_ids AS uuid[]), CAST(:user_ids AS uuid[]),
    CAST(:platforms AS varchar[]), CAST(:published AS timestamptz[]), CAST(:likes AS bigint[]),
    CAST(:shares AS bigint[]), CAST(:comments AS bigint[]), CAST(:impressions AS bigint[]),
    CAST(:fetched AS timestamptz[]))
ON CONFLICT (result_id) DO UPDATE SET
    likes = EXCLUDED.likes, shares = EXCLUDED.shares, comments = EXCLUDED.comments,
    impressions = EXCLUDED.impressions, fetched_at = EXCLUDED.fetched_at
WHERE analytics_latest.fetched_at <= EXCLUDED.fetched_at
"""

FINISH = """
UPDATE analytics_fetches
SET status = :status, finished_at = :now, last_error = :error
WHERE id = ANY(CAST(:ids AS bigint[])) AND status = 'PENDING'
"""


async def store_figures(
    session: AsyncSession, figures: Sequence[Figures], *, now: datetime
) -> None:
    """One snapshot per reading (tied to its newest fetch), the latest figures, fetches DONE.

    Three statements whatever the number of readings.
    """
    if not figures:
        return
    f = figures
    await session.execute(
        text(INSERT_SNAPSHOTS),
        {
            "post_ids": [x.post_id for x in f],
            "platforms": [x.platform.value for x in f],
            "likes": [x.likes for x in f],
            "shares": [x.shares for x in f],
            "comments": [x.comments for x in f],
            "impressions": [x.impressions for x in f],
            "fetched": [x.fetched_at for x in f],
            "fetch_ids": [max(x.fetch_ids) for x in f],
        },
    )
    await session.execute(
        text(UPSERT_LATEST),
        {
            "result_ids": [x.result_id for x in f],
            "post_ids": [x.post_id for x in f],
            "user_ids": [x.user_id for x in f],
            "platforms": [x.platform.value for x in f],
            "published": [x.published_at for x in f],
            "likes": [x.likes for x in f],
            "shares": [x.shares for x in f],
            "comments": [x.comments for x in f],
            "impressions": [x.impressions for x in f],
            "fetched": [x.fetched_at for x in f],
        },
    )
    ids = [i for x in f for i in x.fetch_ids]
    await session.execute(text(FINISH), {"status": "DONE", "now": now, "error": None, "ids": ids})


async def mark_gone(
    session: AsyncSession, result_ids: Iterable[uuid.UUID], *, now: datetime, reason: str
) -> None:
    """The post no longer exists on the platform: this fetch and every later one stop."""
    ids = list(set(result_ids))
    if ids:
        await session.execute(
            text(
                "UPDATE analytics_fetches SET status = 'GONE', finished_at = :now, "
                "last_error = :reason "
                "WHERE result_id = ANY(CAST(:ids AS uuid[])) AND status = 'PENDING'"
            ),
            {"now": now, "reason": reason[:500], "ids": ids},
        )


async def fail(
    session: AsyncSession, fetch_ids: Iterable[int], *, now: datetime, reason: str
) -> None:
    ids = list(fetch_ids)
    if ids:
        await session.execute(
            text(FINISH), {"status": "FAILED", "now": now, "error": reason[:1000], "ids": ids}
        )


async def retry_at(
    session: AsyncSession,
    fetch_ids: Iterable[int],
    when: datetime,
    reason: str,
    *,
    count_attempt: bool = True,
) -> None:
    """Leave the fetches PENDING until ``when``. A wait that is no failure of the fetch (a
    rate-limit window, publishing going first) gives back the attempt its claim took."""
    ids = list(fetch_ids)
    if ids:
        await session.execute(
            text(
                "UPDATE analytics_fetches SET next_at = :when, last_error = :reason, "
                "attempts = attempts - :give_back "
                "WHERE id = ANY(CAST(:ids AS bigint[])) AND status = 'PENDING'"
            ),
            {
                "when": when,
                "reason": reason[:1000],
                "ids": ids,
                "give_back": 0 if count_attempt else 1,
            },
        )


async def next_due_at(session: AsyncSession) -> datetime | None:
    row = await session.execute(
        text("SELECT min(next_at) FROM analytics_fetches WHERE status = 'PENDING'")
    )
    value: datetime | None = row.scalar_one()
    return value


# -- planning for posts published before collection ran -----------------------------------

_CHECKPOINT_VALUES = ", ".join(
    f"('{name}', interval '{seconds} seconds')" for name, seconds in CHECKPOINTS.items()
)

BACKFILL_CHUNK = f"""
WITH batch AS (
    SELECT r.id, r.published_at FROM post_platform_results AS r
    WHERE r.status = 'SUCCEEDED' AND r.published_at IS NOT NULL
      AND (CAST(:after AS uuid) IS NULL OR r.id > CAST(:after AS uuid))
    ORDER BY r.id
    LIMIT :limit
),
planned AS (
    SELECT b.id, c.name, b.published_at + c.offset_ AS due_at,
           row_number() OVER (
               PARTITION BY b.id, b.published_at + c.offset_ <= :now
               ORDER BY c.offset_ DESC) AS newest
    FROM batch AS b
    CROSS JOIN (VALUES {_CHECKPOINT_VALUES}) AS c (name, offset_)
    WHERE b.published_at >= :since
      AND NOT EXISTS (SELECT 1 FROM analytics_fetches AS f WHERE f.result_id = b.id)
),
inserted AS (
    INSERT INTO analytics_fetches (result_id, checkpoint, due_at, next_at, status, attempts)
    SELECT id, name, due_at, GREATEST(due_at, :now), 'PENDING', 0 FROM planned
    WHERE due_at > :now OR newest = 1
    ON CONFLICT (result_id, checkpoint) DO NOTHING
    RETURNING 1
)
SELECT (SELECT id FROM batch ORDER BY id DESC LIMIT 1) AS last_id,
       (SELECT count(*) FROM batch) AS seen,
       (SELECT count(*) FROM inserted) AS planned
"""


@dataclass(frozen=True, slots=True)
class BackfillStep:
    last_id: uuid.UUID | None
    seen: int
    planned: int


async def backfill_chunk(
    session: AsyncSession,
    *,
    after: uuid.UUID | None,
    limit: int,
    now: datetime,
    since: datetime,
) -> BackfillStep:
    """Plan the fetches of up to ``limit`` published results after ``after`` (by id).

    Checkpoints still ahead are planned at their time. Of those already past, only the
    newest is planned, due now: one catch-up reading rather than several identical ones.
    Results published before ``since`` are left alone.
    """
    row = (
        await session.execute(
            text(BACKFILL_CHUNK),
            {"after": after, "limit": limit, "now": now, "since": since},
        )
    ).one()
    return BackfillStep(row.last_id, int(row.seen), int(row.planned))


async def backfill_state(session: AsyncSession, name: str, now: datetime) -> tuple[Any, bool]:
    """(cursor, finished) of the named backfill, starting it on first call."""
    await session.execute(
        text(
            "INSERT INTO analytics_backfill (name, cursor, planned, started_at) "
            "VALUES (:name, NULL, 0, :now) ON CONFLICT (name) DO NOTHING"
        ),
        {"name": name, "now": now},
    )
    row = (
        await session.execute(
            text(
                "SELECT cursor, finished_at FROM analytics_backfill WHERE name = :name "
                "FOR UPDATE SKIP LOCKED"
            ),
            {"name": name},
        )
    ).one_or_none()
    if row is None:  # another collector is walking it right now
        return None, True
    return row.cursor, row.finished_at is not None


async def backfill_advance(
    session: AsyncSession,
    name: str,
    cursor: uuid.UUID | None,
    planned: int,
    finished: datetime | None,
) -> None:
    await session.execute(
        text(
            "UPDATE analytics_backfill SET cursor = :cursor, planned = planned + :planned, "
            "finished_at = :finished WHERE name = :name"
        ),
        {"name": name, "cursor": cursor, "planned": planned, "finished": finished},
    )


# -- the platforms' pattern across users --------------------------------------------------

HOUR_OF_WEEK = (
    "((extract(isodow FROM {col} AT TIME ZONE {tz})::int - 1) * 24 "
    "+ extract(hour FROM {col} AT TIME ZONE {tz})::int)"
)
RATE = "(l.likes + l.shares + l.comments)::float8 / l.impressions"

REFRESH_PATTERN = f"""
INSERT INTO analytics_platform_pattern
    (platform, hour_of_week, posts, users, rate_sum, refreshed_at)
SELECT l.platform,
       COALESCE({HOUR_OF_WEEK.format(col="l.published_at", tz="u.timezone")}, -1),
       count(*), count(DISTINCT l.user_id), sum({RATE}), :now
FROM analytics_latest AS l
JOIN users AS u ON u.id = l.user_id
WHERE l.impressions > 0
GROUP BY GROUPING SETS (
    (l.platform, {HOUR_OF_WEEK.format(col="l.published_at", tz="u.timezone")}),
    (l.platform))
"""


async def refresh_pattern(session: AsyncSession, *, now: datetime) -> None:
    """Recompute every platform's engagement by local hour of the week, across users."""
    await session.execute(text("DELETE FROM analytics_platform_pattern"))
    await session.execute(text(REFRESH_PATTERN), {"now": now})


@dataclass(frozen=True, slots=True)
class Bucket:
    posts: int
    users: int
    rate_sum: float


async def pattern(session: AsyncSession, platform: Platform) -> dict[int, Bucket]:
    """The platform's slots (and its overall figures under -1), as stored."""
    rows = await session.execute(
        text(
            "SELECT hour_of_week, posts, users, rate_sum FROM analytics_platform_pattern "
            "WHERE platform = :platform"
        ),
        {"platform": platform.value},
    )
    return {
        int(r.hour_of_week): Bucket(int(r.posts), int(r.users), float(r.rate_sum)) for r in rows
    }


# -- a user's reports ---------------------------------------------------------------------

USER_BUCKETS = f"""
SELECT {HOUR_OF_WEEK.format(col="l.published_at", tz=":tz")} AS how,
       count(*) AS posts, sum({RATE}) AS rate_sum
FROM analytics_latest AS l
WHERE l.user_id = :user_id AND l.platform = :platform AND l.impressions > 0
GROUP BY how
"""


async def user_buckets(
    session: AsyncSession, user_id: uuid.UUID, platform: Platform, tz: str
) -> dict[int, Bucket]:
    """The user's posts on ``platform`` by local hour of the week of publication in ``tz``:
    how many have figures, and the sum of their engagement rates (latest snapshot each)."""
    rows = await session.execute(
        text(USER_BUCKETS), {"user_id": user_id, "platform": platform.value, "tz": tz}
    )
    return {int(r.how): Bucket(int(r.posts), 1, float(r.rate_sum)) for r in rows}


WEEK_TOTALS = f"""
SELECT l.platform,
       (l.published_at >= :start) AS this_week,
       count(*) AS posts,
       sum(l.likes) AS likes, sum(l.shares) AS shares, sum(l.comments) AS comments,
       sum(l.impressions) AS impressions,
       count(*) FILTER (WHERE l.impressions > 0) AS rated,
       COALESCE(sum({RATE}) FILTER (WHERE l.impressions > 0), 0) AS rate_sum
FROM analytics_latest AS l
WHERE l.user_id = :user_id AND l.published_at >= :previous AND l.published_at < :end
GROUP BY l.platform, this_week
"""


@dataclass(frozen=True, slots=True)
class Totals:
    posts: int = 0
    likes: int = 0
    shares: int = 0
    comments: int = 0
    impressions: int = 0
    rated: int = 0
    rate_sum: float = 0.0


async def week_totals(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    previous: datetime,
    start: datetime,
    end: datetime,
) -> dict[tuple[Platform, bool], Totals]:
    """Per (platform, this week?) sums over posts published in [previous, end)."""
    rows = await session.execute(
        text(WEEK_TOTALS),
        {"user_id": user_id, "previous": previous, "start": start, "end": end},
    )
    return {
        (Platform(r.platform), bool(r.this_week)): Totals(
            int(r.posts),
            int(r.likes),
            int(r.shares),
            int(r.comments),
            int(r.impressions),
            int(r.rated),
            float(r.rate_sum),
        )
        for r in rows
    }


async def snapshots_of_post(session: AsyncSession, post_id: uuid.UUID) -> list[AnalyticsSnapshot]:
    rows = await session.execute(
        select(AnalyticsSnapshot)
        .where(AnalyticsSnapshot.post_id == post_id)
        .order_by(AnalyticsSnapshot.platform, AnalyticsSnapshot.fetched_at, AnalyticsSnapshot.id)
    )
    return list(rows.scalars())


async def fetches_of_results(
    session: AsyncSession, result_ids: Sequence[uuid.UUID]
) -> list[AnalyticsFetch]:
    if not result_ids:
        return []
    rows = await session.execute(
        select(AnalyticsFetch)
        .where(AnalyticsFetch.result_id.in_(list(result_ids)))
        .order_by(AnalyticsFetch.result_id, AnalyticsFetch.due_at)
    )
    return list(rows.scalars())
