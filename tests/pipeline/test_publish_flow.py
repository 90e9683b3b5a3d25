"""One post through scheduler and publisher, in-process: all four platforms, once each."""

from __future__ import annotations

from tests.pipeline.helpers import (
    attempts,
    exactly_once,
    post_status,
    results,
    schedule,
    user_with_accounts,
)


async def test_scheduled_post_is_published_on_all_four_platforms(pipeline):
    caller = await user_with_accounts(pipeline)
    pid = await schedule(pipeline, caller, seconds=1)

    async def done() -> bool:
        return await post_status(pipeline, pid) in ("PUBLISHED", "FAILED")

    await pipeline.until(done)
    assert await post_status(pipeline, pid) == "PUBLISHED"
    rows = await results(pipeline, pid)
    assert set(rows) == {"TWITTER", "INSTAGRAM", "LINKEDIN", "FACEBOOK"}
    assert all(r.status.value == "SUCCEEDED" and r.external_post_id for r in rows.values())
    counts = await exactly_once(pipeline)
    assert sorted(k.split("|")[0] for k in counts) == sorted(rows)
    assert set(counts.values()) == {1}
    tries = await attempts(pipeline, pid)
    assert len(tries) == 4
    assert all(a.lateness_ms is not None and a.lateness_ms >= 0 for a in tries)
    detail = await pipeline.api.get(f"/v1/posts/{pid}", headers=caller.headers)
    assert detail.json()["status"] == "PUBLISHED"
    assert {r["platform"] for r in detail.json()["results"]} == set(rows)
    listed = await pipeline.api.get(f"/v1/posts/{pid}/attempts", headers=caller.headers)
    assert listed.status_code == 200
    assert sorted(a["platform"] for a in listed.json()) == sorted(rows)
    assert {a["outcome"] for a in listed.json()} == {"SUCCEEDED"}
    assert all(a["lateness_ms"] is not None for a in listed.json())
