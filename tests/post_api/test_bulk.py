"""POST /v1/posts/batch: many posts at once, a result per row, nothing made for a bad row."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select

from herald_db.enums import Platform, PostStatus
from herald_db.models import IdempotencyKey, Post
from tests.factories import connect_account, register

# Connected: X, LinkedIn, Instagram. Not connected: Facebook.
CONNECTED = (Platform.TWITTER, Platform.LINKEDIN, Platform.INSTAGRAM)


@pytest.fixture
async def caller(client, sessionmaker, box):
    c = await register(client, timezone="Europe/Paris")
    for platform in CONNECTED:
        await connect_account(sessionmaker, box, c.id, platform)
    return c


def _at(days: float) -> datetime:
    """A whole minute ``days`` ahead, in UTC."""
    return (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0)


# Each bad row: the row, the problem type it must be refused with, and the field named.
def _bad(i: int) -> tuple[dict[str, Any], str, str]:
    text = f"bad row {i}"
    kinds: list[tuple[dict[str, Any], str, str]] = [
        (
            {"content": text, "platforms": ["TWITTER"], "scheduled_at": "2020-01-01T09:00:00Z"},
            "invalid-schedule",
            "scheduled_at",
        ),
        (
            {"content": text + " " + "x" * 300, "platforms": ["TWITTER"]},
            "content-rule-violation",
            "content",
        ),
        (
            # 02:30 does not exist in Paris on the last Sunday of March 2027.
            {
                "content": text,
                "platforms": ["LINKEDIN"],
                "scheduled_at": "2027-03-28T02:30:00",
                "timezone": "Europe/Paris",
            },
            "invalid-schedule",
            "scheduled_at",
        ),
        ({"content": text, "platforms": ["MYSPACE"]}, "validation-error", "platforms.0"),
        (
            {"content": text, "platforms": ["FACEBOOK"], "scheduled_at": _at(3).isoformat()},
            "account-not-connected",
            "platforms",
        ),
        (
            {"content": text, "platforms": ["INSTAGRAM"], "scheduled_at": _at(3).isoformat()},
            "content-rule-violation",
            "media_urls",
        ),
        (
            {"content": text, "platforms": ["TWITTER"], "colour": "red"},
            "validation-error",
            "colour",
        ),
        ({"content": 12, "platforms": ["TWITTER"]}, "validation-error", "content"),
        ({"content": text}, "validation-error", "platforms"),
        (
            {
                "content": text,
                "platforms": ["TWITTER"],
                "content_variants": {"LINKEDIN": "other text"},
            },
            "validation-error",
            "content_variants",
        ),
    ]
    return kinds[i % len(kinds)]


def _good(i: int) -> dict[str, Any]:
    return {
        "content": f"good row {i}",
        "platforms": ["TWITTER", "LINKEDIN"] if i % 2 else ["INSTAGRAM"],
        "media_urls": [] if i % 2 else ["https://example.com/pic.jpg"],
        "scheduled_at": (_at(2) + timedelta(minutes=i)).isoformat(),
    }


async def _posts_of(sessionmaker, user_id) -> list[Post]:
    async with sessionmaker() as s:
        rows = await s.execute(select(Post).where(Post.user_id == user_id))
        return list(rows.scalars())


async def test_500_rows_with_bad_ones_create_exactly_the_good_posts(client, caller, sessionmaker):
    rows: list[dict[str, Any]] = []
    expected_refusals: dict[int, tuple[str, str]] = {}
    for i in range(500):
        if i % 7 == 3:
            row, slug, field = _bad(len(expected_refusals))
            expected_refusals[i] = (slug, field)
            rows.append(row)
        else:
            rows.append(_good(i))

    r = await client.post("/v1/posts/batch", json={"posts": rows}, headers=caller.headers)

    assert r.status_code == 200, r.text
    body = r.json()
    assert len(expected_refusals) == 71
    assert body["created"] == 500 - 71
    assert body["refused"] == 71
    assert [res["index"] for res in body["results"]] == list(range(500))
    created: dict[uuid.UUID, dict[str, Any]] = {}
    for i, res in enumerate(body["results"]):
        if i in expected_refusals:
            slug, field = expected_refusals[i]
            assert res["status"] == "refused", (i, res)
            assert res["post"] is None
            assert res["problem"]["type"].endswith("/" + slug), (i, res["problem"])
            assert res["problem"]["field"] == field, (i, res["problem"])
            assert res["problem"]["status"] == 422
            assert res["problem"]["detail"]
        else:
            assert res["status"] == "created", (i, res)
            assert res["problem"] is None
            post = res["post"]
            assert post["content"] == rows[i]["content"]
            assert post["status"] == "SCHEDULED"
            assert post["scheduled_at_local"].endswith("+01:00")
            created[uuid.UUID(post["id"])] = rows[i]

    stored = await _posts_of(sessionmaker, caller.id)
    assert {p.id for p in stored} == set(created)
    for p in stored:
        row = created[p.id]
        assert p.content == row["content"]
        assert p.platforms == row["platforms"]
        assert p.media_urls == row["media_urls"]
        assert p.status is PostStatus.SCHEDULED
        assert p.scheduled_at == datetime.fromisoformat(row["scheduled_at"])
        assert p.timezone == "Europe/Paris"
    assert not any(p.content.startswith("bad row") for p in stored)


async def test_the_good_rows_go_in_with_one_insert(app, client, caller, sessionmaker):
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    engine = app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        r = await client.post(
            "/v1/posts/batch",
            json={"posts": [_good(i) for i in range(500)]},
            headers=caller.headers,
        )
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 500
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO POSTS")]
    assert len(inserts) == 1
    # The caller, the accounts, the insert: a handful of statements, not one per row.
    assert len(statements) < 10, statements
    assert len(await _posts_of(sessionmaker, caller.id)) == 500


async def test_a_batch_of_only_bad_rows_creates_nothing(client, caller, sessionmaker):
    rows = [_bad(i)[0] for i in range(10)]
    r = await client.post("/v1/posts/batch", json={"posts": rows}, headers=caller.headers)
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 0
    assert r.json()["refused"] == 10
    assert await _posts_of(sessionmaker, caller.id) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"posts": []}, "posts"),
        ({"posts": [{"content": "x", "platforms": ["TWITTER"]}] * 501}, "posts"),
        ({"posts": ["not an object"]}, "posts.0"),
        ({"posts": [{"content": "x", "platforms": ["TWITTER"]}], "extra": 1}, "extra"),
        ({}, "posts"),
    ],
)
async def test_a_request_that_is_not_a_batch_is_refused_whole(
    client, caller, sessionmaker, body, field
):
    r = await client.post("/v1/posts/batch", json=body, headers=caller.headers)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == field
    assert await _posts_of(sessionmaker, caller.id) == []


async def test_a_batch_replays_for_its_idempotency_key(client, caller, sessionmaker):
    key = "batch-" + uuid.uuid4().hex
    headers = {**caller.headers, "Idempotency-Key": key}
    body = {"posts": [_good(1), _bad(0)[0], _good(3)]}
    first = await client.post("/v1/posts/batch", json=body, headers=headers)
    again = await client.post("/v1/posts/batch", json=body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert first.json()["created"] == 2
    assert len(await _posts_of(sessionmaker, caller.id)) == 2

    other = await client.post("/v1/posts/batch", json={"posts": [_good(5)]}, headers=headers)
    assert other.status_code == 422
    assert other.json()["field"] == "Idempotency-Key"
    single = await client.post("/v1/posts", json=_good(7), headers=headers)
    assert single.status_code == 422
    assert len(await _posts_of(sessionmaker, caller.id)) == 2
    async with sessionmaker() as s:
        kept = await s.execute(
            select(func.count())
            .select_from(IdempotencyKey)
            .where(IdempotencyKey.user_id == caller.id, IdempotencyKey.key == key)
        )
        assert kept.scalar_one() == 1


async def test_batch_posts_belong_to_the_caller(client, caller):
    r = await client.post("/v1/posts/batch", json={"posts": [_good(1)]}, headers=caller.headers)
    post_id = r.json()["results"][0]["post"]["id"]
    other = await register(client)
    assert (await client.get(f"/v1/posts/{post_id}", headers=other.headers)).status_code == 404
    assert (await client.get(f"/v1/posts/{post_id}", headers=caller.headers)).status_code == 200


async def test_a_batch_needs_a_bearer_token(client):
    r = await client.post("/v1/posts/batch", json={"posts": [_good(1)]})
    assert r.status_code == 401
