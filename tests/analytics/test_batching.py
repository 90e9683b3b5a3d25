"""Due fetches go out in as few requests as each platform allows, counted at the simulator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from herald_db.enums import FetchStatus, Platform
from tests.analytics.helpers import Running, fetches_of, publish_direct, snapshot_count
from tests.pipeline.helpers import user_with_accounts


async def _requests(pipeline, platform: str, action: str) -> int:
    return int((await pipeline.sim.requests()).get(platform, {}).get(action, 0))


async def test_250_x_posts_due_at_once_take_three_lookups(pipeline):
    await pipeline.sim.set_rate_limit("TWITTER", 1_000_000, 900)
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    published = pipeline.clock() - timedelta(hours=1, minutes=5)
    posts = await publish_direct(pipeline, caller.id, Platform.TWITTER, 250, published_at=published)
    before = await _requests(pipeline, "TWITTER", "metrics")
    async with Running(pipeline) as collector:
        handled = await collector.run_once()
    assert handled == 250
    assert await _requests(pipeline, "TWITTER", "metrics") - before == 3
    assert await snapshot_count(pipeline, posts) == 250
    fetches = await fetches_of(pipeline, posts)
    by_status = {}
    for f in fetches:
        by_status.setdefault((f.checkpoint, f.status), 0)
        by_status[(f.checkpoint, f.status)] += 1
    assert by_status == {
        ("1h", FetchStatus.DONE): 250,
        ("6h", FetchStatus.PENDING): 250,
        ("24h", FetchStatus.PENDING): 250,
        ("7d", FetchStatus.PENDING): 250,
    }


@pytest.mark.parametrize(
    ("platform", "posts", "calls"),
    [
        # Instagram: one insights operation per media, 50 operations per batch call.
        (Platform.INSTAGRAM, 120, 3),
        # A Page: two operations per post (counters and views), 50 per batch call.
        (Platform.FACEBOOK, 60, 3),
    ],
)
async def test_meta_posts_due_at_once_go_in_batches_of_fifty_operations(
    pipeline, platform, posts, calls
):
    await pipeline.sim.set_rate_limit(platform.value, 1_000_000, 900)
    caller = await user_with_accounts(pipeline, [platform.value])
    published = pipeline.clock() - timedelta(hours=1, minutes=5)
    made = await publish_direct(pipeline, caller.id, platform, posts, published_at=published)
    before = await _requests(pipeline, platform.value, "batch")
    async with Running(pipeline) as collector:
        handled = await collector.run_once()
    assert handled == posts
    assert await _requests(pipeline, platform.value, "batch") - before == calls
    assert await snapshot_count(pipeline, made) == posts


async def test_a_claim_keeps_an_accounts_due_fetches_together(pipeline):
    """A claim takes whole accounts: with a batch of 60, an account's 250 due posts are not
    cut into claims of 60 (five lookups) but read in ceil(250 / 100) = 3, and the account
    due first, with 30 posts, in one."""
    await pipeline.sim.set_rate_limit("TWITTER", 1_000_000, 900)
    first = await user_with_accounts(pipeline, ["TWITTER"])
    second = await user_with_accounts(pipeline, ["TWITTER"])
    now = pipeline.clock()
    early = await publish_direct(
        pipeline, first.id, Platform.TWITTER, 30, published_at=now - timedelta(hours=1, minutes=9)
    )
    late = await publish_direct(
        pipeline, second.id, Platform.TWITTER, 250, published_at=now - timedelta(hours=1, minutes=5)
    )
    before = await _requests(pipeline, "TWITTER", "metrics")
    async with Running(pipeline, analytics_claim_batch=60) as collector:
        handled = await collector.run_once()
    assert handled == 280
    assert await _requests(pipeline, "TWITTER", "metrics") - before == 1 + 3
    assert await snapshot_count(pipeline, early + late) == 280
