"""Posts: create, read, edit, schedule, unschedule, delete, and their state rules."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import update

from herald_db.enums import PostStatus
from herald_db.models import Post
from tests.factories import connect_all, create_post, in_future, register


@pytest.fixture
async def caller(client, sessionmaker, box):
    c = await register(client)
    await connect_all(sessionmaker, box, c.id)
    return c


async def test_create_draft_and_read_back(client, caller):
    post = await create_post(
        client, caller, content="Draft text", platforms=["TWITTER", "LINKEDIN"]
    )
    assert post["status"] == "DRAFT"
    r = await client.get(f"/v1/posts/{post['id']}", headers=caller.headers)
    assert r.status_code == 200
    assert r.json()["content"] == "Draft text"
    assert r.json()["platforms"] == ["TWITTER", "LINKEDIN"]
    assert r.json()["results"] == []


async def test_create_scheduled_post(client, caller):
    when = in_future(90)
    post = await create_post(client, caller, scheduled_at=when)
    assert post["status"] == "SCHEDULED"
    assert post["scheduled_at"].endswith("Z") or post["scheduled_at"].endswith("+00:00")


async def test_scheduled_in_the_past_is_refused(client, caller):
    r = await client.post(
        "/v1/posts",
        json={"content": "x", "platforms": ["TWITTER"], "scheduled_at": "2020-01-01T09:00:00Z"},
        headers=caller.headers,
    )
    assert r.status_code == 422
    assert r.json()["field"] == "scheduled_at"
    assert "past" in r.json()["detail"]


async def test_scheduled_without_time_is_refused(client, caller):
    r = await client.post(
        "/v1/posts",
        json={"content": "x", "platforms": ["TWITTER"], "status": "SCHEDULED"},
        headers=caller.headers,
    )
    assert r.status_code == 422
    assert r.json()["field"] == "scheduled_at"


async def test_unknown_platform_names_the_field(client, caller):
    r = await client.post(
        "/v1/posts", json={"content": "x", "platforms": ["MYSPACE"]}, headers=caller.headers
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"].startswith("platforms")


async def test_scheduling_needs_an_active_account(client):
    lonely = await register(client)
    r = await client.post(
        "/v1/posts",
        json={"content": "x", "platforms": ["LINKEDIN"], "scheduled_at": in_future()},
        headers=lonely.headers,
    )
    assert r.status_code == 422
    assert r.json()["field"] == "platforms"
    assert r.json()["missing"] == ["LINKEDIN"]


async def test_patch_draft_and_scheduled(client, caller):
    post = await create_post(client, caller, scheduled_at=in_future())
    r = await client.patch(
        f"/v1/posts/{post['id']}",
        json={"content": "Edited", "content_variants": {"TWITTER": "Short"}},
        headers=caller.headers,
    )
    assert r.status_code == 200
    assert r.json()["content"] == "Edited"
    assert r.json()["content_variants"] == {"TWITTER": "Short"}
    assert r.json()["status"] == "SCHEDULED"


@pytest.mark.parametrize("status", [PostStatus.PUBLISHING, PostStatus.PUBLISHED, PostStatus.FAILED])
async def test_patch_after_claim_is_conflict(client, caller, sessionmaker, status):
    post = await create_post(client, caller, scheduled_at=in_future())
    async with sessionmaker() as s:
        await s.execute(update(Post).where(Post.id == uuid.UUID(post["id"])).values(status=status))
        await s.commit()
    r = await client.patch(
        f"/v1/posts/{post['id']}", json={"content": "late"}, headers=caller.headers
    )
    assert r.status_code == 409
    assert r.json()["status_now"] == status.value


async def test_schedule_and_unschedule(client, caller):
    post = await create_post(client, caller)
    r = await client.post(
        f"/v1/posts/{post['id']}/schedule",
        json={"scheduled_at": in_future(30)},
        headers=caller.headers,
    )
    assert r.status_code == 200
    assert r.json()["status"] == "SCHEDULED"
    r = await client.post(f"/v1/posts/{post['id']}/unschedule", headers=caller.headers)
    assert r.status_code == 200
    assert r.json()["status"] == "DRAFT"
    again = await client.post(f"/v1/posts/{post['id']}/unschedule", headers=caller.headers)
    assert again.status_code == 409
    # Re-schedule with the time it already has.
    r = await client.post(f"/v1/posts/{post['id']}/schedule", headers=caller.headers)
    assert r.status_code == 200
    assert r.json()["status"] == "SCHEDULED"


async def test_delete_refused_while_publishing(client, caller, sessionmaker):
    post = await create_post(client, caller, scheduled_at=in_future())
    async with sessionmaker() as s:
        await s.execute(
            update(Post)
            .where(Post.id == uuid.UUID(post["id"]))
            .values(status=PostStatus.PUBLISHING)
        )
        await s.commit()
    r = await client.delete(f"/v1/posts/{post['id']}", headers=caller.headers)
    assert r.status_code == 409


async def test_delete_then_404(client, caller):
    post = await create_post(client, caller)
    r = await client.delete(f"/v1/posts/{post['id']}", headers=caller.headers)
    assert r.status_code == 204
    r = await client.get(f"/v1/posts/{post['id']}", headers=caller.headers)
    assert r.status_code == 404


async def test_every_posts_endpoint_answers_404_for_another_users_post(client, caller):
    post = await create_post(client, caller, scheduled_at=in_future())
    intruder = await register(client)
    pid = post["id"]
    calls = [
        client.get(f"/v1/posts/{pid}", headers=intruder.headers),
        client.patch(f"/v1/posts/{pid}", json={"content": "mine"}, headers=intruder.headers),
        client.post(
            f"/v1/posts/{pid}/schedule",
            json={"scheduled_at": in_future(10)},
            headers=intruder.headers,
        ),
        client.post(f"/v1/posts/{pid}/unschedule", headers=intruder.headers),
        client.delete(f"/v1/posts/{pid}", headers=intruder.headers),
    ]
    for r in await asyncio.gather(*calls):
        assert r.status_code == 404, (r.request.method, r.request.url, r.text)
        assert r.headers["content-type"] == "application/problem+json"
    listing = await client.get("/v1/posts", headers=intruder.headers)
    assert listing.json()["items"] == []
    # And the post is untouched for its owner.
    mine = await client.get(f"/v1/posts/{pid}", headers=caller.headers)
    assert mine.json()["content"] == post["content"]
    assert mine.json()["status"] == "SCHEDULED"


async def test_unknown_post_id_is_404_problem(client, caller):
    r = await client.get(f"/v1/posts/{uuid.uuid4()}", headers=caller.headers)
    assert r.status_code == 404
    body = r.json()
    assert set(body) >= {"type", "title", "status", "detail"}
    assert body["status"] == 404


async def test_malformed_post_id_names_the_field(client, caller):
    r = await client.get("/v1/posts/not-a-uuid", headers=caller.headers)
    assert r.status_code == 422
    assert r.json()["field"] == "post_id"


async def test_body_over_one_mebibyte_is_413(client, caller):
    big = "x" * (1024 * 1024 + 10)
    r = await client.post(
        "/v1/posts", json={"content": big, "platforms": ["FACEBOOK"]}, headers=caller.headers
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == 413


async def test_chunked_body_over_limit_is_413(client, caller):
    async def chunks():
        for _ in range(20):
            yield b"x" * 65536

    r = await client.post(
        "/v1/posts",
        content=chunks(),
        headers={**caller.headers, "content-type": "application/json"},
    )
    assert r.status_code == 413


async def test_invalid_json_is_problem(client, caller):
    r = await client.post(
        "/v1/posts",
        content=b"{not json",
        headers={**caller.headers, "content-type": "application/json"},
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"


async def test_unknown_field_is_refused(client, caller):
    r = await client.post(
        "/v1/posts",
        json={"content": "x", "platforms": ["TWITTER"], "colour": "red"},
        headers=caller.headers,
    )
    assert r.status_code == 422
    assert r.json()["field"] == "colour"
