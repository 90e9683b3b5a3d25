"""Best times of a user with little data lean on the platform's pattern across all users
(README "How best times are estimated"), and show no one else's figures. A module of its
own: the pattern is computed over every user of the database, so the fixture is all of it.

Every post has 1,000 impressions; its rate is likes / 1,000. Slots are local: Mon 10:00 is
slot 10, Wed 10:00 slot 58, Thu 10:00 slot 82.

    R   data-rich, Asia/Tokyo   10 posts Mon 10:00 JST (01:00Z) at 0.10, 10 Wed 10:00 at 0.02
    C1-C4  UTC                  each 1 post Mon 10:00 at 0.10 and 1 Wed 10:00 at 0.02
    T   thin, UTC               2 posts Thu 10:00 at 0.06 and 0.08

1. R and T alone: two users, fewer than the five a pattern needs, so T's estimate is T's
   own: m = 0.07 in every slot (slot 82: (0.14 + 5 * 0.07) / 7 = 0.07), nothing of R's
   slot 10 shows; top 3: slot 82 (two posts win the tie), then slots 0 and 1.

2. With C1-C4, six users, slots 10 and 58 hold five users each (slot 82 only T):

    G     = (1.4 + 0.28 + 0.14) / 30                 = 0.0606667
    g_10  = (1.4 + 5 G) / (14 + 5)  = 1.7033333 / 19 = 0.0896491
    g_58  = (0.28 + 5 G) / 19       = 0.5833333 / 19 = 0.0307018
    g_82  = G (one user)

   T: N = 2, m = 0.07, w = 2 / 22 = 1/11, p_h = 0.07 / 11 + (10 / 11) g_h
    slot 10 (no post of T's): p = 0.0063636 + 0.0814992 = 0.0878628 = rate
    slot 58:                  p = 0.0063636 + 0.0279107 = 0.0342743 = rate
    an empty slot:            p = 0.0063636 + 0.0551515 = 0.0615152 = rate
    slot 82: (0.14 + 5 * 0.0615152) / 7 = 0.0639394
   Top 3: Mon 10 (where T never posted: the platform's pattern), Thu 10, Mon 00.

   R: N = 20, m = 0.06, w = 20 / 40 = 0.5, p_h = 0.03 + 0.5 g_h
    slot 10: (1.0 + 5 * (0.03 + 0.0448246)) / 15 = 0.0916082
    slot 58: (0.2 + 5 * (0.03 + 0.0153509)) / 15 = 0.0284503
    an empty slot: 0.03 + 0.0303333 = 0.0603333
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from herald_db.enums import Platform
from herald_db.repositories import analytics as repo
from herald_db.repositories.analytics import Figures
from tests.factories import Caller, register

MON_10_JST = datetime(2026, 11, 2, 1, 0, tzinfo=UTC)
WED_10_JST = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
MON_10 = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
WED_10 = datetime(2026, 11, 4, 10, 0, tzinfo=UTC)
THU_10 = datetime(2026, 11, 5, 10, 0, tzinfo=UTC)


async def _seed(pipeline, user_id: uuid.UUID, posts: list[tuple[datetime, int]]) -> None:
    """X posts published at the given times, each read once (``likes`` of 1,000
    impressions) through the collector's own write path."""
    async with pipeline.sessionmaker() as s:
        for at, likes in posts:
            pid, rid = uuid.uuid4(), uuid.uuid4()
            await s.execute(
                text(
                    "INSERT INTO posts (id, user_id, content, media_urls, platforms, "
                    "content_variants, scheduled_at, status, timezone) VALUES "
                    "(:id, :uid, 'p', '{}', ARRAY['TWITTER'], '{}', :at, 'PUBLISHED', 'UTC')"
                ),
                {"id": pid, "uid": user_id, "at": at},
            )
            await s.execute(
                text(
                    "INSERT INTO post_platform_results (id, post_id, platform, status, "
                    "external_post_id, attempts, published_at) VALUES "
                    "(:id, :pid, 'TWITTER', 'SUCCEEDED', :ext, 1, :at)"
                ),
                {"id": rid, "pid": pid, "ext": f"ext-{pid.hex[:12]}", "at": at},
            )
            fetch_id = (
                await s.execute(
                    text(
                        "SELECT id FROM analytics_fetches WHERE result_id = :rid "
                        "AND checkpoint = '1h'"
                    ),
                    {"rid": rid},
                )
            ).scalar_one()
            await repo.store_figures(
                s,
                [
                    Figures(
                        fetch_ids=(fetch_id,),
                        result_id=rid,
                        post_id=pid,
                        user_id=user_id,
                        platform=Platform.TWITTER,
                        published_at=at,
                        likes=likes,
                        shares=0,
                        comments=0,
                        impressions=1000,
                        fetched_at=at,
                    )
                ],
                now=at,
            )
        await s.commit()


async def _refresh_pattern(pipeline) -> None:
    async with pipeline.sessionmaker() as s:
        await repo.refresh_pattern(s, now=datetime.now(UTC))
        await s.commit()


async def _best_times(pipeline, caller: Caller) -> dict:
    r = await pipeline.api.get(
        "/v1/analytics/best-times", params={"platform": "TWITTER"}, headers=caller.headers
    )
    assert r.status_code == 200, r.text
    return r.json()


def _rates(body: dict) -> dict[int, float]:
    return {s["hour_of_week"]: s["rate"] for s in body["slots"]}


def _top(body: dict) -> list[int]:
    return [t["hour_of_week"] for t in body["top"]]


async def test_a_thin_user_blends_with_the_platforms_pattern_and_sees_no_one_elses(pipeline):
    rich = await register(pipeline.api, timezone="Asia/Tokyo")
    thin = await register(pipeline.api, timezone="UTC")
    await _seed(pipeline, rich.id, [(MON_10_JST, 100)] * 10 + [(WED_10_JST, 20)] * 10)
    await _seed(pipeline, thin.id, [(THU_10, 60), (THU_10, 80)])
    await _refresh_pattern(pipeline)

    # 1. Two users: no pattern to lean on, and nothing of the rich user's shows.
    body = await _best_times(pipeline, thin)
    assert body["uses_platform_pattern"] is False
    assert body["posts"] == 2
    assert body["user_rate"] == pytest.approx(0.07)
    assert body["user_weight"] == 1.0
    assert list(_rates(body).values()) == [pytest.approx(0.07)] * 168
    assert {s["hour_of_week"]: s["posts"] for s in body["slots"] if s["posts"]} == {82: 2}
    assert _top(body) == [82, 0, 1]

    # 2. Four more users: slots 10 and 58 hold five users each, and the pattern is used.
    crowd = [await register(pipeline.api, timezone="UTC") for _ in range(4)]
    for c in crowd:
        await _seed(pipeline, c.id, [(MON_10, 100), (WED_10, 20)])
    await _refresh_pattern(pipeline)

    body = await _best_times(pipeline, thin)
    assert body["uses_platform_pattern"] is True
    assert body["posts"] == 2
    assert body["user_rate"] == pytest.approx(0.07)
    assert body["user_weight"] == pytest.approx(1 / 11)
    rates = _rates(body)
    assert rates[10] == pytest.approx(0.0878628, abs=1e-6)
    assert rates[58] == pytest.approx(0.0342743, abs=1e-6)
    assert rates[82] == pytest.approx(0.0639394, abs=1e-6)
    assert rates[100] == pytest.approx(0.0615152, abs=1e-6)
    assert _top(body) == [10, 82, 0]
    # The slot it wins on is the crowd's, shown as an estimate only: no posts, no mean of
    # anyone's, no confidence of its own.
    slot10 = body["slots"][10]
    assert (slot10["posts"], slot10["mean_rate"], slot10["confidence"]) == (0, None, 0.0)
    assert {s["hour_of_week"]: s["posts"] for s in body["slots"] if s["posts"]} == {82: 2}
    assert body["slots"][82]["mean_rate"] == pytest.approx(0.07)

    # The data-rich user trusts their own rate half way (N = 20), in their own zone.
    body = await _best_times(pipeline, rich)
    assert body["posts"] == 20
    assert body["user_weight"] == pytest.approx(0.5)
    rates = _rates(body)
    assert rates[10] == pytest.approx(0.0916082, abs=1e-6)
    assert rates[58] == pytest.approx(0.0284503, abs=1e-6)
    assert rates[100] == pytest.approx(0.0603333, abs=1e-6)
    assert body["slots"][10]["posts"] == 10
    assert body["slots"][10]["mean_rate"] == pytest.approx(0.10)

    # A crowd user sees their own one post in slot 10, not the fourteen there.
    body = await _best_times(pipeline, crowd[0])
    assert body["posts"] == 2
    assert body["slots"][10]["posts"] == 1
    assert body["slots"][10]["mean_rate"] == pytest.approx(0.10)
