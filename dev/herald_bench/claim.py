"""(d) The claim alone: posts claimed, marked and enqueued per second, by batch size.

A table of 1,000,000 posts with 100,000 due. For each batch size the scheduler's own claim
statement runs in a loop (one transaction per claim), and the claimed posts are enqueued
as arq jobs of at most ``job_batch`` posts; the rate counts posts from claim to enqueue.
Between batch sizes the claimed posts are put back to SCHEDULED.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any

import asyncpg
from arq import create_pool
from arq.connections import RedisSettings

from herald_bench.common import Infra, progress
from herald_common.jobs import PUBLISH_JOB, publish_job_id
from herald_db.repositories import claims
from herald_db.session import make_engine, make_sessionmaker, session_scope, sync_url
from herald_scheduler.settings import SchedulerSettings

TOTAL = 1_000_000
# Posts per arq job, as the scheduler cuts them.
JOB_BATCH = SchedulerSettings.model_fields["job_batch"].default
DUE = 100_000


async def build_table(url: str, total: int = TOTAL, due: int = DUE) -> None:
    conn = await asyncpg.connect(sync_url(url))
    try:
        uid = await conn.fetchval(
            "INSERT INTO users (id, email, password_hash, timezone) "
            "VALUES (gen_random_uuid(), 'bench@example.com', 'x', 'UTC') RETURNING id"
        )
        step = 100_000
        for start in range(0, total, step):
            await conn.execute(
                """
                INSERT INTO posts (id, user_id, content, media_urls, platforms,
                                   content_variants, scheduled_at, status)
                SELECT gen_random_uuid(), $1, 'bench', '{}', '{TWITTER,LINKEDIN}', '{}',
                       CASE WHEN g <= $2 THEN now() - interval '1 hour' + g * interval '1 ms'
                            ELSE now() - interval '30 days' END,
                       CASE WHEN g <= $2 THEN 'SCHEDULED' ELSE 'PUBLISHED' END
                FROM generate_series($3::int + 1, $3::int + $4) AS g
                """,
                uid,
                due,
                start,
                min(step, total - start),
            )
            progress(f"posts table: {min(start + step, total):,} / {total:,} rows")
        await conn.execute("ANALYZE posts")
    finally:
        await conn.close()


async def reset(url: str) -> None:
    conn = await asyncpg.connect(sync_url(url))
    try:
        await conn.execute("DELETE FROM post_platform_results")
        await conn.execute(
            "UPDATE posts SET status = 'SCHEDULED', lease_expires_at = NULL "
            "WHERE status = 'PUBLISHING'"
        )
        await conn.execute("VACUUM ANALYZE posts")
        await conn.execute("VACUUM ANALYZE post_platform_results")
    finally:
        await conn.close()


async def run_one(
    infra: Infra, batch: int, *, budget_posts: int, budget_seconds: float, job_batch: int
) -> dict[str, Any]:
    engine = make_engine(infra.database_url, pool_size=2)
    sm = make_sessionmaker(engine)
    arq = await create_pool(RedisSettings.from_dsn(infra.redis.url))
    queue = f"herald-bench:{batch}:{time.time_ns()}"
    lease = timedelta(minutes=5)
    claimed = 0
    jobs = 0
    t0 = time.perf_counter()
    try:
        while claimed < budget_posts and time.perf_counter() - t0 < budget_seconds:
            async with session_scope(sm) as s:
                got = await claims.claim_due_posts(s, limit=batch, lease=lease)
            if not got:
                break
            chunks = [got[i : i + job_batch] for i in range(0, len(got), job_batch)]
            await asyncio.gather(
                *(
                    arq.enqueue_job(
                        PUBLISH_JOB,
                        [str(c.post_id) for c in chunk],
                        _job_id=publish_job_id([(c.post_id, c.claim_seq) for c in chunk]),
                        _queue_name=queue,
                    )
                    for chunk in chunks
                )
            )
            claimed += len(got)
            jobs += len(chunks)
        elapsed = time.perf_counter() - t0
    finally:
        await arq.delete(queue)
        await arq.aclose()
        await engine.dispose()
    return {
        "batch": batch,
        "posts": claimed,
        "jobs": jobs,
        "seconds": round(elapsed, 3),
        "posts_per_second": round(claimed / elapsed, 1) if elapsed else None,
    }


async def bench(infra: Infra, *, quick: bool = False) -> dict[str, Any]:
    total, due = (200_000, 20_000) if quick else (TOTAL, DUE)
    progress(f"(d) building {total:,} posts, {due:,} due")
    await build_table(infra.database_url, total, due)
    runs = []
    for batch in (1, 10, 100, 500):
        await reset(infra.database_url)
        budget = min(due, 3_000 if batch == 1 else 30_000)
        progress(f"(d) claim batch {batch}: up to {budget:,} posts or 20 s")
        r = await run_one(
            infra, batch, budget_posts=budget, budget_seconds=20.0, job_batch=min(batch, JOB_BATCH)
        )
        progress(f"(d) batch {batch}: {r['posts_per_second']} posts/s")
        runs.append(r)
    # Leave an empty table for the benchmarks that follow.
    conn = await asyncpg.connect(sync_url(infra.database_url))
    try:
        await conn.execute("TRUNCATE posts, publishing_accounts, users CASCADE")
    finally:
        await conn.close()
    by = {r["batch"]: r["posts_per_second"] for r in runs}
    return {
        "table_rows": total,
        "due_rows": due,
        "runs": runs,
        "ratio_batch100_to_batch1": round(by[100] / by[1], 2) if by.get(1) else None,
        "targets": {"min_posts_per_second": 2000, "min_ratio_100_to_1": 10},
    }
