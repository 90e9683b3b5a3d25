"""The real processes: schedulers and publishers as separate OS processes, killed and
restarted, with Redis emptied under them. Every (post, platform) goes out exactly once."""

from __future__ import annotations

import os
import signal
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import func, select, text

from herald_db.models import Post, PublishAttempt
from herald_devrun.infra import start_embedded_redis
from tests.pipeline.helpers import attempts, exactly_once, post_status, schedule, user_with_accounts

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
BIG_LIMITS = {
    "HERALD_RATE_LIMIT_TWITTER": "1000000/900",
    "HERALD_RATE_LIMIT_LINKEDIN": "1000000/86400",
}


async def _bulk_posts(pipeline, user_id, n: int, platforms: list[str], due_in: float) -> str:
    """n SCHEDULED posts due together, written straight to the table; returns their tag."""
    tag = uuid.uuid4().hex[:8]
    when = datetime.now(UTC) + timedelta(seconds=due_in)
    async with pipeline.sessionmaker() as s:
        await s.execute(
            text(
                "INSERT INTO posts (id, user_id, content, media_urls, platforms, "
                "content_variants, scheduled_at, status, timezone) "
                "SELECT gen_random_uuid(), :uid, :tag || ' #' || g, '{}', :platforms, '{}', "
                ":when, 'SCHEDULED', 'UTC' FROM generate_series(1, :n) AS g"
            ),
            {"uid": user_id, "tag": tag, "platforms": platforms, "when": when, "n": n},
        )
        await s.commit()
    return tag


async def _remaining(pipeline, tag: str) -> int:
    async with pipeline.sessionmaker() as s:
        return int(
            (
                await s.execute(
                    select(func.count())
                    .select_from(Post)
                    .where(
                        Post.content.like(f"{tag} %"),
                        Post.status.not_in(("PUBLISHED", "FAILED")),
                    )
                )
            ).scalar_one()
        )


async def _wait(pipeline, condition, seconds: float) -> None:
    await pipeline.until(condition, seconds=seconds, step=False)


def _assert_once(counts: dict[str, int], expected: int) -> None:
    doubles = {k: v for k, v in counts.items() if v != 1}
    assert not doubles, f"published more than once: {list(doubles)[:5]}"
    assert len(counts) == expected


async def test_real_processes_publish_a_post_on_time(pipeline):
    caller = await user_with_accounts(pipeline)
    sched = pipeline.start("herald_scheduler")
    pub = pipeline.start("herald_publisher")
    await pipeline.ready(sched)
    await pipeline.ready(pub)
    pid = await schedule(pipeline, caller, seconds=3)

    async def done() -> bool:
        return await post_status(pipeline, pid) == "PUBLISHED"

    await _wait(pipeline, done, 60)
    tries = await attempts(pipeline, pid)
    assert len(tries) == 4
    lateness = [a.lateness_ms for a in tries]
    assert all(v is not None and v >= 0 for v in lateness), lateness
    _assert_once(await exactly_once(pipeline), 4)


async def test_two_schedulers_two_publishers_500_posts_exactly_once(pipeline):
    await pipeline.sim.set_rate_limit("TWITTER", 1_000_000, 900)
    caller = await user_with_accounts(pipeline, ["TWITTER", "LINKEDIN"])
    procs = [pipeline.start("herald_scheduler", **BIG_LIMITS) for _ in range(2)]
    # At most 8 jobs each, so neither publisher can take the whole run alone.
    procs += [
        pipeline.start("herald_publisher", **BIG_LIMITS, HERALD_MAX_JOBS="8") for _ in range(2)
    ]
    for p in procs:
        await pipeline.ready(p)
    tag = await _bulk_posts(pipeline, caller.id, 500, ["TWITTER", "LINKEDIN"], due_in=2)

    async def drained() -> bool:
        return await _remaining(pipeline, tag) == 0

    await _wait(pipeline, drained, 180)
    _assert_once(await exactly_once(pipeline), 1000)
    async with pipeline.sessionmaker() as s:
        workers = (
            await s.execute(
                select(func.count(func.distinct(PublishAttempt.worker)))
                .join(Post, Post.id == PublishAttempt.post_id)
                .where(Post.content.like(f"{tag} %"))
            )
        ).scalar_one()
    assert workers == 2  # both publishers took part


async def test_publisher_killed_mid_run_loses_nothing_and_doubles_nothing(pipeline):
    await pipeline.sim.set_rate_limit("TWITTER", 1_000_000, 900)
    await pipeline.sim.set_faults(TWITTER={"latency_ms": 150}, LINKEDIN={"latency_ms": 150})
    caller = await user_with_accounts(pipeline, ["TWITTER", "LINKEDIN"])
    sched = pipeline.start("herald_scheduler", **BIG_LIMITS)
    victim = pipeline.start("herald_publisher", **BIG_LIMITS, HERALD_MAX_JOBS="4")
    survivor = pipeline.start("herald_publisher", **BIG_LIMITS, HERALD_MAX_JOBS="4")
    for p in (sched, victim, survivor):
        await pipeline.ready(p)
    tag = await _bulk_posts(pipeline, caller.id, 200, ["TWITTER", "LINKEDIN"], due_in=1)

    async def some_published() -> bool:
        return len(await pipeline.sim.published()) >= 40

    await _wait(pipeline, some_published, 60)
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)
    assert await _remaining(pipeline, tag) > 0, "the kill came too late to prove anything"

    async def drained() -> bool:
        return await _remaining(pipeline, tag) == 0

    await _wait(pipeline, drained, 180)
    _assert_once(await exactly_once(pipeline), 400)


async def test_redis_emptied_mid_run_loses_nothing_and_doubles_nothing(pipeline):
    # A Redis of this test's own, so emptying it touches nothing else on the machine.
    redis_server = start_embedded_redis(ROOT / ".data" / "test" / f"redis-{uuid.uuid4().hex[:6]}")
    try:
        env = {**BIG_LIMITS, "REDIS_URL": redis_server.url}
        await pipeline.sim.set_rate_limit("TWITTER", 1_000_000, 900)
        await pipeline.sim.set_faults(TWITTER={"latency_ms": 150}, LINKEDIN={"latency_ms": 150})
        caller = await user_with_accounts(pipeline, ["TWITTER", "LINKEDIN"])
        procs = [
            pipeline.start("herald_scheduler", **env),
            pipeline.start("herald_publisher", **env, HERALD_MAX_JOBS="4"),
        ]
        for p in procs:
            await pipeline.ready(p)
        tag = await _bulk_posts(pipeline, caller.id, 200, ["TWITTER", "LINKEDIN"], due_in=1)

        async def some_published() -> bool:
            return len(await pipeline.sim.published()) >= 40

        await _wait(pipeline, some_published, 60)
        redis = Redis.from_url(redis_server.url)
        await redis.flushall()
        await redis.aclose()
        assert await _remaining(pipeline, tag) > 0, "the flush came too late to prove anything"

        async def drained() -> bool:
            return await _remaining(pipeline, tag) == 0

        await _wait(pipeline, drained, 180)
        _assert_once(await exactly_once(pipeline), 400)
    finally:
        pipeline.stop_all()
        redis_server.stop()
