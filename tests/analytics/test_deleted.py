"""A post its author deleted on the platform stops being read, and its report says so."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import text

from herald_db.enums import FetchStatus, Platform
from tests.analytics.helpers import Running, fetches_of, publish_direct, snapshot_count
from tests.pipeline.helpers import user_with_accounts


async def _external_id(pipeline, post_id: uuid.UUID) -> str:
    async with pipeline.sessionmaker() as s:
        row = await s.execute(
            text("SELECT external_post_id FROM post_platform_results WHERE post_id = :p"),
            {"p": post_id},
        )
        return str(row.scalar_one())


@pytest.mark.parametrize(
    "platform", [Platform.TWITTER, Platform.INSTAGRAM, Platform.FACEBOOK, Platform.LINKEDIN]
)
async def test_a_post_deleted_on_the_platform_stops_its_fetches_and_says_so(pipeline, platform):
    await pipeline.sim.set_rate_limit(platform.value, 1_000_000, 900)
    caller = await user_with_accounts(pipeline, [platform.value])
    published = pipeline.clock() - timedelta(hours=1, minutes=5)
    kept, deleted = await publish_direct(pipeline, caller.id, platform, 2, published_at=published)
    await pipeline.sim.delete_post(await _external_id(pipeline, deleted))

    async with Running(pipeline) as collector:
        assert await collector.run_once() == 2

        gone = await fetches_of(pipeline, [deleted])
        assert {(f.checkpoint, f.status) for f in gone} == {
            (cp, FetchStatus.GONE) for cp in ("1h", "6h", "24h", "7d")
        }
        assert all(f.last_error.startswith("Deleted on the platform") for f in gone)
        assert await snapshot_count(pipeline, [deleted]) == 0
        assert await snapshot_count(pipeline, [kept]) == 1

        # At +6 h only the post still there is due: the deleted one is not claimed again.
        pipeline.clock.advance(5 * 3600)
        await pipeline.sim.advance_clock(5 * 3600)
        assert await collector.run_once() == 1
    assert await snapshot_count(pipeline, [kept]) == 2
    assert {f.status for f in await fetches_of(pipeline, [deleted])} == {FetchStatus.GONE}

    r = await pipeline.api.get(f"/v1/posts/{deleted}/analytics", headers=caller.headers)
    assert r.status_code == 200, r.text
    (report,) = r.json()["platforms"]
    assert report["deleted_on_platform"] is True
    assert report["latest"] is None
    assert report["history"] == []
    assert [f["status"] for f in report["fetches"]] == ["GONE"] * 4
    assert all(f["error"].startswith("Deleted on the platform") for f in report["fetches"])
    assert r.json()["best_platform"] is None

    r = await pipeline.api.get(f"/v1/posts/{kept}/analytics", headers=caller.headers)
    (report,) = r.json()["platforms"]
    assert report["deleted_on_platform"] is False
    assert [f["status"] for f in report["fetches"]] == ["DONE", "DONE", "PENDING", "PENDING"]
