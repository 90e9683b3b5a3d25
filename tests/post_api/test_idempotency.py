"""Idempotency-Key on POST /v1/posts."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from herald_db.models import IdempotencyKey, Post
from tests.factories import connect_all, register


@pytest.fixture
async def caller(client, sessionmaker, box):
    c = await register(client)
    await connect_all(sessionmaker, box, c.id)
    return c


async def _count_posts(sessionmaker, user_id) -> int:
    async with sessionmaker() as s:
        return (
            await s.execute(select(func.count()).select_from(Post).where(Post.user_id == user_id))
        ).scalar_one()


async def test_replay_returns_the_first_response(client, caller, sessionmaker):
    key = str(uuid.uuid4())
    body = {"content": "once", "platforms": ["TWITTER"]}
    headers = {**caller.headers, "Idempotency-Key": key}
    first = await client.post("/v1/posts", json=body, headers=headers)
    second = await client.post("/v1/posts", json=body, headers=headers)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["idempotent-replayed"] == "true"
    assert await _count_posts(sessionmaker, caller.id) == 1


async def test_same_key_other_body_is_refused(client, caller, sessionmaker):
    headers = {**caller.headers, "Idempotency-Key": "k-" + uuid.uuid4().hex}
    await client.post("/v1/posts", json={"content": "a", "platforms": ["TWITTER"]}, headers=headers)
    r = await client.post(
        "/v1/posts", json={"content": "b", "platforms": ["TWITTER"]}, headers=headers
    )
    assert r.status_code == 422
    assert r.json()["field"] == "Idempotency-Key"
    assert await _count_posts(sessionmaker, caller.id) == 1


async def test_keys_belong_to_their_user(client, caller, sessionmaker, box):
    other = await register(client)
    key = "shared-" + uuid.uuid4().hex
    body = {"content": "mine", "platforms": ["TWITTER"]}
    a = await client.post(
        "/v1/posts", json=body, headers={**caller.headers, "Idempotency-Key": key}
    )
    b = await client.post("/v1/posts", json=body, headers={**other.headers, "Idempotency-Key": key})
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]


async def test_a_failed_request_does_not_burn_the_key(client, caller):
    headers = {**caller.headers, "Idempotency-Key": "k-" + uuid.uuid4().hex}
    bad = await client.post(
        "/v1/posts", json={"content": "x" * 300, "platforms": ["TWITTER"]}, headers=headers
    )
    assert bad.status_code == 422
    good = await client.post(
        "/v1/posts", json={"content": "x" * 300, "platforms": ["LINKEDIN"]}, headers=headers
    )
    assert good.status_code == 201


async def test_key_expires_after_a_day(client, caller, sessionmaker):
    key = "k-" + uuid.uuid4().hex
    headers = {**caller.headers, "Idempotency-Key": key}
    body = {"content": "daily", "platforms": ["TWITTER"]}
    first = await client.post("/v1/posts", json=body, headers=headers)
    async with sessionmaker() as s:
        await s.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.key == key)
            .values(created_at=datetime.now(UTC) - timedelta(hours=25))
        )
        await s.commit()
    again = await client.post("/v1/posts", json=body, headers=headers)
    assert again.status_code == 201
    assert again.json()["id"] != first.json()["id"]


async def test_twenty_concurrent_requests_with_one_key_create_one_post(
    settings, caller, sessionmaker
):
    """Real concurrency: a real server, 20 connections, one key."""
    import uvicorn

    from herald_devrun.infra import free_port
    from herald_post_api.app import create_app

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    try:
        deadline = asyncio.get_running_loop().time() + 20
        while not server.started:
            assert asyncio.get_running_loop().time() < deadline, "server did not start"
            await asyncio.sleep(0.02)
        import httpx

        key = "race-" + uuid.uuid4().hex
        body = {"content": "raced", "platforms": ["TWITTER"]}
        headers = {**caller.headers, "Idempotency-Key": key}
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", limits=httpx.Limits(max_connections=20)
        ) as http:
            answers = await asyncio.gather(
                *(http.post("/v1/posts", json=body, headers=headers) for _ in range(20))
            )
    finally:
        server.should_exit = True
        await task
    codes = sorted(a.status_code for a in answers)
    assert set(codes) <= {201, 409}, codes
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1
    assert await _count_posts(sessionmaker, caller.id) == 1
