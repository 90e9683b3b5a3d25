"""The scheduler sleeps until the next due time and wakes when a sooner post appears."""

from __future__ import annotations

import asyncio

from tests.pipeline.helpers import post_status, schedule, user_with_accounts


async def test_a_new_post_wakes_a_sleeping_scheduler(pipeline):
    caller = await user_with_accounts(pipeline, ["LINKEDIN"])
    # Nothing is due: left alone, this scheduler would sleep for an hour.
    pipeline.scheduler_settings = pipeline.scheduler_settings.model_copy(
        update={"max_sleep_seconds": 3600.0}
    )
    scheduler = pipeline.scheduler()
    stop = asyncio.Event()
    loop = asyncio.create_task(scheduler.run(stop))
    try:
        await pipeline.until(lambda: _passed(scheduler, 1), step=False)
        pid = await schedule(pipeline, caller, seconds=1, platforms=["LINKEDIN"])

        async def claimed() -> bool:
            return await post_status(pipeline, pid) != "SCHEDULED"

        await pipeline.until(claimed, seconds=30, step=False)
        assert scheduler.stats.posts_claimed >= 1
    finally:
        stop.set()
        await loop


async def _passed(scheduler, n: int) -> bool:
    return scheduler.stats.passes >= n
