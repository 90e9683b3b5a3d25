"""Reports in the user's zone, against a hand-computed fixture: a user in America/New_York
whose posts went out in the week the clocks fell back (Sunday 2026-11-01, 02:00 EDT ->
01:00 EST). ISO week 2026-W44 runs Monday 2026-10-26 00:00 EDT (04:00Z) to Monday
2026-11-02 00:00 EST (05:00Z): 169 hours.

Posts (UTC -> local, slot = local weekday x hour), latest reading, engagement rate:

    A  X    2026-11-01 05:30Z  Sun 01:30 EDT  slot 145  1000 imp, 60 eng   0.06
    B  X    2026-11-01 06:30Z  Sun 01:30 EST  slot 145  2000 imp, 100 eng  0.05
    C  X    2026-11-01 07:30Z  Sun 02:30 EST  slot 146   500 imp, 5 eng    0.01
    D  X    2026-10-27 13:15Z  Tue 09:15 EDT  slot 33   1000 imp, 80 eng   0.08
    E  X    2026-10-27 13:45Z  Tue 09:45 EDT  slot 33   4000 imp, 200 eng  0.05
    E  LI   2026-10-27 13:45Z                           1000 imp, 50 eng   0.05
    F  X    2026-10-29 22:00Z  Thu 18:00 EDT  slot 90   1000 imp, 20 eng   0.02
    G  X    2026-11-02 04:30Z  Sun 23:30 EST  slot 167  2500 imp, 50 eng   0.02 (still W44)
    H  X    2026-10-26 03:30Z  Sun 23:30 EDT  slot 167  3000 imp, 60 eng   0.02 (W43)
    J  X    2026-10-20 13:30Z  Tue 09:30 EDT  slot 33   1000 imp, 70 eng   0.07 (W43)
    L  LI   2026-10-20 14:00Z                            500 imp, 15 eng   0.03 (W43)
    K  X    2026-11-03 14:30Z  Tue 09:30 EST  slot 33    500 imp, 40 eng   0.08 (W45)
    I  X    2026-11-02 05:30Z  Mon 00:30 EST  slot 0    1000 imp, 100 eng  0.10 (W45)

Best times on X, no platform pattern (a single user): N = 11 posts, rates summing to
0.56, so the user's rate m = 0.56 / 11 = 0.0509091 is every slot's prior, and
rate(slot) = (sum of its rates + 5 m) / (posts + 5):

    slot 33  (Tue 09): (0.08 + 0.05 + 0.07 + 0.08 + 0.254545) / 9 = 0.0593939
    slot 0   (Mon 00): (0.10 + 0.254545) / 6                       = 0.0590909
    slot 145 (Sun 01): (0.06 + 0.05 + 0.254545) / 7                = 0.0520779
    an empty slot: m = 0.0509091; slot 167: (0.04 + 0.254545) / 7 = 0.0420779

Top 3: Tue 09, Mon 00, Sun 01. Slot 0's single 0.10 post is the best raw mean but ranks
second: one lucky post does not beat four good ones. Without the zone, A and B would fall
in two different hours, G on a Monday, K at 14:00.

Summary of 2026-W44: X posts A B C D E F G: 12,000 impressions, 515 engagements (rate
0.0429167); LinkedIn E: 1,000 and 50 (0.05), the best platform. Total 8 posts, reach
13,000, 565 engagements (0.0434615). W43 (H, J, L): 3 posts, reach 4,500, 145
engagements (0.0322222). Change: reach +8,500 (+188.888...%), engagements +420, rate
+1.12393 points.

Post E: X 200 engagements vs LinkedIn 50: X is the best platform; its history is the
1 h, 6 h and 24 h readings in order.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from sqlalchemy import text

from herald_db.enums import Platform
from herald_db.repositories import analytics as repo
from herald_db.repositories.analytics import Figures
from tests.factories import register

NY = "America/New_York"


def z(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


# name: (platforms, published_at, {platform: [(impressions, likes, shares, comments), ...]})
FIXTURE: dict[str, tuple[str, dict[str, list[tuple[int, int, int, int]]]]] = {
    "A": ("2026-11-01T05:30Z", {"TWITTER": [(100, 2, 0, 0), (1000, 50, 5, 5)]}),
    "B": ("2026-11-01T06:30Z", {"TWITTER": [(2000, 80, 10, 10)]}),
    "C": ("2026-11-01T07:30Z", {"TWITTER": [(500, 5, 0, 0)]}),
    "D": ("2026-10-27T13:15Z", {"TWITTER": [(1000, 60, 10, 10)]}),
    "E": (
        "2026-10-27T13:45Z",
        {
            "TWITTER": [(900, 30, 2, 3), (2500, 100, 10, 15), (4000, 150, 20, 30)],
            "LINKEDIN": [(1000, 40, 5, 5)],
        },
    ),
    "F": ("2026-10-29T22:00Z", {"TWITTER": [(1000, 15, 3, 2)]}),
    "G": ("2026-11-02T04:30Z", {"TWITTER": [(2500, 40, 5, 5)]}),
    "H": ("2026-10-26T03:30Z", {"TWITTER": [(3000, 45, 10, 5)]}),
    "J": ("2026-10-20T13:30Z", {"TWITTER": [(1000, 60, 5, 5)]}),
    "L": ("2026-10-20T14:00Z", {"LINKEDIN": [(500, 10, 3, 2)]}),
    "K": ("2026-11-03T14:30Z", {"TWITTER": [(500, 30, 5, 5)]}),
    "I": ("2026-11-02T05:30Z", {"TWITTER": [(1000, 90, 5, 5)]}),
}
CHECKPOINTS = ["1h", "6h", "24h", "7d"]


async def _seed(pipeline, user_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The fixture's posts and results (their fetches planned by the trigger), and each
    reading stored through the collector's own write path."""
    ids: dict[str, uuid.UUID] = {}
    async with pipeline.sessionmaker() as s:
        for name, (published, per_platform) in FIXTURE.items():
            pid = ids[name] = uuid.uuid4()
            at = z(published)
            await s.execute(
                text(
                    "INSERT INTO posts (id, user_id, content, media_urls, platforms, "
                    "content_variants, scheduled_at, status, timezone) VALUES "
                    "(:id, :uid, :name, '{}', :platforms, '{}', :at, 'PUBLISHED', :tz)"
                ),
                {
                    "id": pid,
                    "uid": user_id,
                    "name": name,
                    "platforms": list(per_platform),
                    "at": at,
                    "tz": NY,
                },
            )
            for platform, readings in per_platform.items():
                rid = uuid.uuid4()
                await s.execute(
                    text(
                        "INSERT INTO post_platform_results (id, post_id, platform, status, "
                        "external_post_id, attempts, published_at) VALUES "
                        "(:id, :pid, :platform, 'SUCCEEDED', :ext, 1, :at)"
                    ),
                    {"id": rid, "pid": pid, "platform": platform, "ext": f"ext-{name}", "at": at},
                )
                fetch_ids = dict(
                    (
                        await s.execute(
                            text(
                                "SELECT checkpoint, id FROM analytics_fetches "
                                "WHERE result_id = :rid"
                            ),
                            {"rid": rid},
                        )
                    ).all()
                )
                for i, (imp, likes, shares, comments) in enumerate(readings):
                    cp = CHECKPOINTS[i]
                    await repo.store_figures(
                        s,
                        [
                            Figures(
                                fetch_ids=(fetch_ids[cp],),
                                result_id=rid,
                                post_id=pid,
                                user_id=user_id,
                                platform=Platform(platform),
                                published_at=at,
                                likes=likes,
                                shares=shares,
                                comments=comments,
                                impressions=imp,
                                fetched_at=at
                                + timedelta(hours=int(cp[:-1]) if cp[-1] == "h" else 168),
                            )
                        ],
                        now=datetime.now(UTC),
                    )
        await s.commit()
    return ids


@pytest.fixture
async def fixture_user(pipeline):
    caller = await register(pipeline.api, timezone=NY)
    ids = await _seed(pipeline, caller.id)
    return caller, ids


async def test_best_times_land_in_local_buckets_across_the_dst_change(pipeline, fixture_user):
    caller, _ = fixture_user
    r = await pipeline.api.get(
        "/v1/analytics/best-times", params={"platform": "TWITTER"}, headers=caller.headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["timezone"] == NY
    assert body["posts"] == 11
    assert body["uses_platform_pattern"] is False
    assert body["user_rate"] == pytest.approx(0.56 / 11)
    slots = {s["hour_of_week"]: s for s in body["slots"]}
    assert len(body["slots"]) == 168
    counts = {h: s["posts"] for h, s in slots.items() if s["posts"]}
    assert counts == {33: 4, 0: 1, 145: 2, 146: 1, 90: 1, 167: 2}
    assert slots[33]["mean_rate"] == pytest.approx(0.07)
    assert slots[33]["rate"] == pytest.approx(0.0593939, abs=1e-6)
    assert slots[0]["rate"] == pytest.approx(0.0590909, abs=1e-6)
    assert slots[145]["rate"] == pytest.approx(0.0520779, abs=1e-6)
    assert slots[167]["rate"] == pytest.approx(0.0420779, abs=1e-6)
    assert slots[100]["rate"] == pytest.approx(0.0509091, abs=1e-6)
    assert slots[33]["confidence"] == pytest.approx(4 / 9)
    top = [(t["rank"], t["day"], t["hour"]) for t in body["top"]]
    assert top == [(1, "Tue", 9), (2, "Mon", 0), (3, "Sun", 1)]


async def test_weekly_summary_of_the_dst_week(pipeline, fixture_user):
    caller, _ = fixture_user
    r = await pipeline.api.get(
        "/v1/analytics/summary", params={"week": "2026-W44"}, headers=caller.headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert z(body["starts_at"]) == z("2026-10-26T04:00Z")
    assert z(body["ends_at"]) == z("2026-11-02T05:00Z")
    assert body["starts_at_local"] == "2026-10-26T00:00:00-04:00"
    assert body["ends_at_local"] == "2026-11-02T00:00:00-05:00"
    assert (body["posts"], body["reach"], body["engagements"]) == (8, 13000, 565)
    assert body["engagement_rate"] == pytest.approx(565 / 13000)
    per = {p["platform"]: p for p in body["platforms"]}
    assert (per["TWITTER"]["posts"], per["TWITTER"]["impressions"]) == (7, 12000)
    assert (per["TWITTER"]["likes"], per["TWITTER"]["shares"], per["TWITTER"]["comments"]) == (
        400,
        53,
        62,
    )
    assert per["TWITTER"]["engagement_rate"] == pytest.approx(515 / 12000)
    assert per["LINKEDIN"]["engagement_rate"] == pytest.approx(0.05)
    assert body["best_platform"] == "LINKEDIN"
    prev = body["previous_week"]
    assert (prev["week"], prev["posts"], prev["reach"], prev["engagements"]) == (
        "2026-W43",
        3,
        4500,
        145,
    )
    change = body["change"]
    assert (change["reach"], change["engagements"]) == (8500, 420)
    assert change["reach_pct"] == pytest.approx(8500 / 4500 * 100)
    assert change["engagement_rate_points"] == pytest.approx(1.12393, abs=1e-5)


async def test_post_comparison_across_platforms(pipeline, fixture_user):
    caller, ids = fixture_user
    r = await pipeline.api.get(f"/v1/posts/{ids['E']}/analytics", headers=caller.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["best_platform"] == "TWITTER"
    per = {p["platform"]: p for p in body["platforms"]}
    x = per["TWITTER"]
    assert [h["checkpoint"] for h in x["history"]] == ["1h", "6h", "24h"]
    assert [h["impressions"] for h in x["history"]] == [900, 2500, 4000]
    assert x["latest"]["engagements"] == 200
    assert x["latest"]["engagement_rate"] == pytest.approx(0.05)
    assert x["latest"]["fetched_at_local"] == "2026-10-28T09:45:00-04:00"
    assert x["published_at_local"] == "2026-10-27T09:45:00-04:00"
    assert [(f["checkpoint"], f["status"]) for f in x["fetches"]] == [
        ("1h", "DONE"),
        ("6h", "DONE"),
        ("24h", "DONE"),
        ("7d", "PENDING"),
    ]
    assert per["LINKEDIN"]["latest"]["engagements"] == 50
    assert x["deleted_on_platform"] is False


async def test_the_heatmap_is_an_svg_of_168_cells_with_the_top_3_marked(pipeline, fixture_user):
    caller, _ = fixture_user
    r = await pipeline.api.get(
        "/v1/analytics/best-times.svg", params={"platform": "TWITTER"}, headers=caller.headers
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(r.text)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    cells = [e for e in root.iter(f"{ns}rect") if e.get("class") == "cell"]
    assert len(cells) == 168
    assert sorted(int(c.get("data-hour-of-week")) for c in cells) == list(range(168))
    ranks = {e.text: e for e in root.iter(f"{ns}text") if e.get("class") == "rank"}
    assert set(ranks) == {"1", "2", "3"}
    labels = {e.text for e in root.iter(f"{ns}text")}
    assert {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"} <= labels
    assert {f"{h:02d}" for h in range(24)} <= labels
    first = next(c for c in cells if c.get("data-hour-of-week") == "33")
    assert first.find(f"{ns}title").text.startswith("#1 Tue 09:00")
    assert any("Expected engagement rate" in (e.text or "") for e in root.iter(f"{ns}text"))


async def test_reports_are_the_callers_own(pipeline, fixture_user):
    _, ids = fixture_user
    other = await register(pipeline.api, timezone="UTC")
    r = await pipeline.api.get(f"/v1/posts/{ids['E']}/analytics", headers=other.headers)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await pipeline.api.get(
        "/v1/analytics/summary", params={"week": "2026-W44"}, headers=other.headers
    )
    assert r.json()["reach"] == 0
    r = await pipeline.api.get(
        "/v1/analytics/best-times", params={"platform": "TWITTER"}, headers=other.headers
    )
    assert r.json()["posts"] == 0
    assert r.json()["top"] == []


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/v1/analytics/summary", {"week": "2026-44"}, "week"),
        ("/v1/analytics/summary", {"week": "2027-W53"}, "week"),
        ("/v1/analytics/best-times", {"platform": "MYSPACE"}, "platform"),
        ("/v1/analytics/best-times", {}, "platform"),
        ("/v1/analytics/best-times.svg", {"platform": "x"}, "platform"),
    ],
)
async def test_bad_query_parameters_are_named(pipeline, path, params, field):
    caller = await register(pipeline.api)
    r = await pipeline.api.get(path, params=params, headers=caller.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
