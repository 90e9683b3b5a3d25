"""A post published through the simulator is read at +1 h, +6 h, +24 h and +7 d, by the
analytics service as a real process, while the simulator's clock and Herald's clock move
together; the service is killed in the middle of a batch and restarted, and no fetch is
lost or stored twice."""

from __future__ import annotations

import asyncio
import os
import signal
import time
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, text

from herald_db.enums import CHECKPOINTS, FetchStatus
from herald_db.models import AnalyticsSnapshot, PostPlatformResult
from tests.pipeline.helpers import ALL, post_status, schedule, user_with_accounts

pytestmark = pytest.mark.slow


async def _move_to(pipeline, instant: datetime) -> None:
    """Move Herald's clock and the simulator's clock to ``instant``, together."""
    delta = (instant - pipeline.clock()).total_seconds()
    pipeline.clock.advance(delta)
    await pipeline.sim.advance_clock(delta)


async def _snapshots(pipeline, post_id: uuid.UUID) -> list[AnalyticsSnapshot]:
    async with pipeline.sessionmaker() as s:
        rows = await s.execute(
            select(AnalyticsSnapshot)
            .where(AnalyticsSnapshot.post_id == post_id)
            .order_by(AnalyticsSnapshot.platform, AnalyticsSnapshot.fetched_at)
        )
        return list(rows.scalars())


async def _fetch_states(pipeline, post_id: uuid.UUID) -> dict[tuple[str, str], tuple[str, int]]:
    async with pipeline.sessionmaker() as s:
        rows = await s.execute(
            text(
                "SELECT r.platform, f.checkpoint, f.status, f.attempts FROM analytics_fetches f "
                "JOIN post_platform_results r ON r.id = f.result_id WHERE r.post_id = :pid"
            ),
            {"pid": post_id},
        )
        return {(r.platform, r.checkpoint): (r.status, r.attempts) for r in rows}


async def _wait(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(0.1)


def _service(pipeline, **env: str):
    return pipeline.start(
        "herald_analytics",
        HERALD_ANALYTICS_CLOCK_OFFSET_SECONDS=str(pipeline.clock.offset.total_seconds()),
        HERALD_ANALYTICS_LEASE_SECONDS="5",
        HERALD_ANALYTICS_MAX_SLEEP_SECONDS="0.5",
        **env,
    )


async def test_readings_at_each_checkpoint_grow_with_the_simulator_across_restarts(pipeline):
    caller = await user_with_accounts(pipeline)
    pid = uuid.UUID(await schedule(pipeline, caller, seconds=0.5))

    async def published() -> bool:
        return await post_status(pipeline, str(pid)) == "PUBLISHED"

    await pipeline.until(published)
    async with pipeline.sessionmaker() as s:
        results = (
            (await s.execute(select(PostPlatformResult).where(PostPlatformResult.post_id == pid)))
            .scalars()
            .all()
        )
    published_at = max(r.published_at for r in results if r.published_at)
    assert sorted(r.platform.value for r in results) == sorted(ALL)

    for index, (checkpoint, seconds) in enumerate(CHECKPOINTS.items()):
        await _move_to(pipeline, published_at + timedelta(seconds=seconds + 60))
        kill_mid_batch = checkpoint == "24h"
        if kill_mid_batch:
            # Slow answers, so the service is killed while its batch is out.
            await pipeline.sim.set_faults(**{p: {"latency_ms": 4000} for p in ALL})
        proc = _service(pipeline)
        await pipeline.ready(proc)

        async def claimed(checkpoint: str = checkpoint) -> bool:
            states = await _fetch_states(pipeline, pid)
            return all(states[(p, checkpoint)][1] >= 1 for p in ALL)

        async def read(checkpoint: str = checkpoint) -> bool:
            states = await _fetch_states(pipeline, pid)
            return all(states[(p, checkpoint)][0] == FetchStatus.DONE.value for p in ALL)

        if kill_mid_batch:
            await _wait(claimed)
            assert not await read()
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            await pipeline.sim.set_faults(**{p: {"latency_ms": 0} for p in ALL})
            # After the lease (5 s of the service's clock) another run takes them again.
            await _move_to(pipeline, pipeline.clock() + timedelta(seconds=10))
            proc = _service(pipeline)
            await pipeline.ready(proc)
        await _wait(read)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)
        snaps = await _snapshots(pipeline, pid)
        assert len(snaps) == 4 * (index + 1), [(s.platform, s.fetched_at) for s in snaps]

    states = await _fetch_states(pipeline, pid)
    assert {v[0] for v in states.values()} == {FetchStatus.DONE.value}
    snaps = await _snapshots(pipeline, pid)
    by_platform: dict[str, list[AnalyticsSnapshot]] = {}
    for s in snaps:
        by_platform.setdefault(s.platform.value, []).append(s)
    for platform, readings in by_platform.items():
        assert len(readings) == 4, platform  # one per checkpoint, none lost, none twice
        impressions = [r.impressions for r in readings]
        assert impressions == sorted(impressions), (platform, impressions)
        assert impressions[0] < impressions[-1], (platform, impressions)
        ages = [(r.fetched_at - published_at).total_seconds() for r in readings]
        for age, seconds in zip(ages, CHECKPOINTS.values(), strict=True):
            assert seconds <= age < seconds + 600, (platform, ages)
