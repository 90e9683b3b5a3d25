"""GET /v1/posts: filters and cursor pagination."""

from __future__ import annotations

import pytest

from tests.factories import connect_all, in_future, register


@pytest.fixture
async def caller(client, sessionmaker, box):
    c = await register(client)
    await connect_all(sessionmaker, box, c.id)
    return c


async def test_cursor_walks_every_post_once_in_a_stable_order(client, caller):
    created = []
    for i in range(57):
        r = await client.post(
            "/v1/posts", json={"content": f"p{i}", "platforms": ["TWITTER"]}, headers=caller.headers
        )
        created.append(r.json()["id"])
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 10}
        if cursor:
            params["cursor"] = cursor
        r = await client.get("/v1/posts", params=params, headers=caller.headers)
        assert r.status_code == 200
        page = r.json()
        pages += 1
        seen.extend(p["id"] for p in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
        # A post created mid-walk appears at the head, not inside later pages.
        if pages == 2:
            await client.post(
                "/v1/posts",
                json={"content": "late", "platforms": ["TWITTER"]},
                headers=caller.headers,
            )
    assert pages == 6
    assert len(seen) == len(set(seen)) == 57
    assert seen == list(reversed(created))


async def test_filters_by_status_platform_and_time(client, caller):
    early = in_future(60)
    late = in_future(60 * 24 * 3)
    await client.post(
        "/v1/posts",
        json={"content": "a", "platforms": ["TWITTER"], "scheduled_at": early},
        headers=caller.headers,
    )
    await client.post(
        "/v1/posts",
        json={"content": "b", "platforms": ["LINKEDIN"], "scheduled_at": late},
        headers=caller.headers,
    )
    await client.post(
        "/v1/posts", json={"content": "c", "platforms": ["LINKEDIN"]}, headers=caller.headers
    )

    async def contents(**params):
        r = await client.get("/v1/posts", params=params, headers=caller.headers)
        assert r.status_code == 200, r.text
        return sorted(p["content"] for p in r.json()["items"])

    assert await contents(status="SCHEDULED") == ["a", "b"]
    assert await contents(status="DRAFT") == ["c"]
    assert await contents(platform="LINKEDIN") == ["b", "c"]
    assert await contents(**{"from": in_future(60 * 24)}) == ["b"]
    assert await contents(to=in_future(60 * 24)) == ["a"]


async def test_bad_cursor_and_bad_filter_name_the_field(client, caller):
    r = await client.get("/v1/posts", params={"cursor": "%%%"}, headers=caller.headers)
    assert r.status_code == 422
    assert r.json()["field"] == "cursor"
    r = await client.get("/v1/posts", params={"status": "LOST"}, headers=caller.headers)
    assert r.status_code == 422
    assert r.json()["field"] == "status"
