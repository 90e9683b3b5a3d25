"""Commit, then answer: a 2xx leaves only after its transaction committed."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select, text

from herald_db.models import Post
from tests.factories import register

MARKER = "refused when the transaction commits"

# A deferred constraint trigger: Postgres accepts the INSERT and refuses the COMMIT.
INSTALL = [
    f"""
    CREATE OR REPLACE FUNCTION herald_test_refuse_commit() RETURNS trigger AS $$
    BEGIN
      IF NEW.content = '{MARKER}' THEN
        RAISE EXCEPTION 'refused at commit';
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    """
    CREATE CONSTRAINT TRIGGER herald_test_refuse_commit AFTER INSERT ON posts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION herald_test_refuse_commit()
    """,
]
REMOVE = [
    "DROP TRIGGER IF EXISTS herald_test_refuse_commit ON posts",
    "DROP FUNCTION IF EXISTS herald_test_refuse_commit()",
]


@pytest.fixture
async def refusing_commit(engine) -> AsyncIterator[None]:
    async with engine.begin() as conn:
        for sql in INSTALL:
            await conn.execute(text(sql))
    try:
        yield
    finally:
        async with engine.begin() as conn:
            for sql in REMOVE:
                await conn.execute(text(sql))


async def _posts_with(sessionmaker, user_id: uuid.UUID, content: str) -> int:
    async with sessionmaker() as s:
        return int(
            (
                await s.execute(
                    select(func.count())
                    .select_from(Post)
                    .where(Post.user_id == user_id, Post.content == content)
                )
            ).scalar_one()
        )


async def test_a_commit_that_fails_never_answers_2xx(live_api, refusing_commit, sessionmaker):
    async with httpx.AsyncClient(base_url=live_api.base_url) as http:
        caller = await register(http)
        key = str(uuid.uuid4())
        body = {"content": MARKER, "platforms": ["TWITTER"]}
        r = await http.post(
            "/v1/posts", json=body, headers={**caller.headers, "Idempotency-Key": key}
        )
        assert r.status_code == 503, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["type"].endswith("/commit-failed")
        assert r.headers["retry-after"] == "1"
        assert await _posts_with(sessionmaker, caller.id, MARKER) == 0
        listed = await http.get("/v1/posts", headers=caller.headers)
        assert listed.json()["items"] == []

        # The key was rolled back with the post: the same retry goes ahead once the
        # database takes it.
        async with sessionmaker() as s:
            for sql in REMOVE:
                await s.execute(text(sql))
            await s.commit()
        again = await http.post(
            "/v1/posts", json=body, headers={**caller.headers, "Idempotency-Key": key}
        )
        assert again.status_code == 201, again.text
        assert "idempotent-replayed" not in again.headers
        assert await _posts_with(sessionmaker, caller.id, MARKER) == 1


async def test_a_created_post_is_readable_at_once_on_another_connection(live_api):
    one = httpx.Limits(max_connections=1)
    async with (
        httpx.AsyncClient(base_url=live_api.base_url, limits=one) as writer,
        httpx.AsyncClient(base_url=live_api.base_url, limits=one) as reader,
    ):
        caller = await register(writer)
        missing = []
        for i in range(200):
            r = await writer.post(
                "/v1/posts",
                json={"content": f"read back {i}", "platforms": ["TWITTER"]},
                headers=caller.headers,
            )
            assert r.status_code == 201, r.text
            got = await reader.get(f"/v1/posts/{r.json()['id']}", headers=caller.headers)
            if got.status_code != 200:
                missing.append((i, got.status_code))
        assert missing == []
