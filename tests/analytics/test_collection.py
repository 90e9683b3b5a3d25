"""What collection does when things go wrong, or have gone on without it: publishing goes
first, passing failures retry and then fail with the reason, a refused token marks the
account, and posts published before collection ran get their fetches planned."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, text

from herald_db.enums import FetchStatus, Platform
from herald_db.models import Notification, PublishingAccount
from tests.analytics.helpers import (
    Running,
    account_of,
    fetches_of,
    publish_direct,
    snapshot_count,
)
from tests.pipeline.helpers import user_with_accounts


async def _lookups(pipeline) -> int:
    return int((await pipeline.sim.requests()).get("TWITTER", {}).get("metrics", 0))


async def _one_hour_fetches(pipeline, posts):
    return [f for f in await fetches_of(pipeline, posts) if f.checkpoint == "1h"]


async def test_publishing_goes_first_on_a_busy_account(pipeline):
    busy = await user_with_accounts(pipeline, ["TWITTER"])
    calm = await user_with_accounts(pipeline, ["TWITTER"])
    published = pipeline.clock() - timedelta(hours=1, minutes=1)
    busy_posts = await publish_direct(
        pipeline, busy.id, Platform.TWITTER, 3, published_at=published
    )
    calm_posts = await publish_direct(
        pipeline, calm.id, Platform.TWITTER, 3, published_at=published
    )
    async with Running(pipeline) as collector:
        # The busy account has posted 81 of its 100 posts per 15 minutes: fewer than the
        # reserved 20 % of its slots are free, so its metric reads wait.
        account = await account_of(pipeline, busy.id, Platform.TWITTER)
        now = pipeline.clock().timestamp()
        for _ in range(81):
            wait = await collector.limiter.acquire(
                "TWITTER", str(account.id), limit=100, window=900, now=now
            )
            assert wait == 0
        before = await _lookups(pipeline)
        await collector.run_once()
    assert await _lookups(pipeline) - before == 1  # the calm account's lookup only
    assert await snapshot_count(pipeline, calm_posts) == 3
    assert await snapshot_count(pipeline, busy_posts) == 0
    waiting = await _one_hour_fetches(pipeline, busy_posts)
    assert {f.status for f in waiting} == {FetchStatus.PENDING}
    assert {f.attempts for f in waiting} == {0}  # waiting is no failed attempt
    assert all(f.next_at > pipeline.clock() + timedelta(minutes=10) for f in waiting)
    assert {f.last_error for f in waiting} == {"Waiting for the read limit"}


async def test_passing_failures_retry_then_fail_with_the_reason(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    published = pipeline.clock() - timedelta(hours=1, minutes=1)
    posts = await publish_direct(pipeline, caller.id, Platform.TWITTER, 2, published_at=published)
    await pipeline.sim.script("TWITTER", [{"fault": "error", "status": 503}] * 3, action="metrics")
    async with Running(pipeline, analytics_retry_delays_seconds=[30.0, 60.0]) as collector:
        await collector.run_once()
        first = await _one_hour_fetches(pipeline, posts)
        assert {(f.status, f.attempts) for f in first} == {(FetchStatus.PENDING, 1)}
        assert all("503" in (f.last_error or "") for f in first)
        pipeline.clock.advance(31)
        await collector.run_once()
        pipeline.clock.advance(61)
        await collector.run_once()
    failed = await _one_hour_fetches(pipeline, posts)
    assert {f.status for f in failed} == {FetchStatus.FAILED}
    assert all((f.last_error or "").startswith("Gave up after 3 attempts") for f in failed)
    assert await snapshot_count(pipeline, posts) == 0


async def test_a_passing_failure_then_success_stores_one_snapshot(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    published = pipeline.clock() - timedelta(hours=1, minutes=1)
    posts = await publish_direct(pipeline, caller.id, Platform.TWITTER, 2, published_at=published)
    await pipeline.sim.script("TWITTER", [{"fault": "error", "status": 502}], action="metrics")
    async with Running(pipeline, analytics_retry_delays_seconds=[30.0]) as collector:
        await collector.run_once()
        assert await snapshot_count(pipeline, posts) == 0
        pipeline.clock.advance(31)
        await collector.run_once()
    assert await snapshot_count(pipeline, posts) == 2
    assert {f.status for f in await _one_hour_fetches(pipeline, posts)} == {FetchStatus.DONE}


async def test_a_refused_token_marks_the_account_and_holds_its_fetches(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    published = pipeline.clock() - timedelta(hours=1, minutes=1)
    posts = await publish_direct(pipeline, caller.id, Platform.TWITTER, 2, published_at=published)
    account = await account_of(pipeline, caller.id, Platform.TWITTER)
    await pipeline.sim.revoke("TWITTER")
    async with Running(pipeline) as collector:
        await collector.run_once()
    async with pipeline.sessionmaker() as s:
        acct = await s.get(PublishingAccount, account.id)
        assert acct.needs_reconnect
        told = await s.execute(
            select(Notification).where(
                Notification.user_id == caller.id, Notification.kind == "account.needs_reconnect"
            )
        )
        assert len(told.scalars().all()) == 1
    held = await _one_hour_fetches(pipeline, posts)
    assert {(f.status, f.attempts) for f in held} == {(FetchStatus.PENDING, 0)}
    assert all(f.next_at >= pipeline.clock() + timedelta(minutes=59) for f in held)


async def test_first_run_plans_the_fetches_still_due_for_earlier_posts(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    now = pipeline.clock()
    ages = {
        "3d": timedelta(days=3),
        "10d": timedelta(days=10),
        "40d": timedelta(days=40),
        "2h": timedelta(hours=2),
    }
    posts = {}
    for name, age in ages.items():
        posts[name] = (
            await publish_direct(pipeline, caller.id, Platform.TWITTER, 1, published_at=now - age)
        )[0]
    async with pipeline.sessionmaker() as s:
        # As in a database from before collection: published, nothing planned.
        await s.execute(
            text(
                "DELETE FROM analytics_fetches f USING post_platform_results r "
                "WHERE r.id = f.result_id AND r.post_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": list(posts.values())},
        )
        await s.execute(text("DELETE FROM analytics_backfill"))
        await s.commit()
    async with Running(pipeline) as collector:
        planned = await collector.backfill(chunk=2)
        again = await collector.backfill(chunk=2)
    assert again == 0  # once per database
    assert planned >= 6
    got = {
        name: sorted(
            (f.checkpoint, f.next_at <= now + timedelta(minutes=1))
            for f in await fetches_of(pipeline, [pid])
        )
        for name, pid in posts.items()
    }
    assert got["2h"] == sorted([("1h", True), ("6h", False), ("24h", False), ("7d", False)])
    assert got["3d"] == sorted([("24h", True), ("7d", False)])
    assert got["10d"] == [("7d", True)]
    assert got["40d"] == []
