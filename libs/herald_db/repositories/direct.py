"""The post API's busiest requests as plain SQL on asyncpg's own connection.

``GET /v1/me``, ``GET /v1/posts``, ``GET /v1/posts/{id}`` and ``POST /v1/posts`` run their
statements here, on the connection under the engine's pool (:func:`herald_db.session.
direct_connection`), without SQLAlchemy: building, compiling and running a statement through
the ORM cost several times the round trip itself. A post is read with its per-platform
results in one statement. Every read is scoped by the owning user, as in
:mod:`herald_db.repositories.posts`.

Rows come back as asyncpg records; ``content_variants`` (JSONB) as a dict, through the codec
SQLAlchemy's dialect installs on each connection, which also means JSON goes in as text.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import asyncpg

from herald_db.repositories.pagination import Position

USER = "SELECT id, email, timezone, created_at FROM users WHERE id = $1"

_POST = (
    "p.id, p.status, p.content, p.media_urls, p.platforms, p.content_variants, "
    "p.scheduled_at, p.created_at, p.updated_at, p.completed_at"
)
_RESULT = (
    "r.platform AS r_platform, r.status AS r_status, r.external_post_id, r.error_kind, "
    "r.error_message, r.attempts, r.next_attempt_at, r.published_at, r.unknown_since"
)
# The result columns a post's answer lists, by the names the answer gives them.
RESULT_FIELDS = (
    ("platform", "r_platform"),
    ("status", "r_status"),
    ("external_post_id", "external_post_id"),
    ("error_kind", "error_kind"),
    ("error_message", "error_message"),
    ("attempts", "attempts"),
    ("next_attempt_at", "next_attempt_at"),
    ("published_at", "published_at"),
    ("unknown_since", "unknown_since"),
)

ONE_POST = (
    f"SELECT {_POST}, {_RESULT} FROM posts p "
    "LEFT JOIN post_platform_results r ON r.post_id = p.id "
    "WHERE p.id = $1 AND p.user_id = $2 ORDER BY r.platform"
)

_NEW_POST = (
    "INSERT INTO posts (id, user_id, content, media_urls, platforms, content_variants, "
    "scheduled_at, timezone, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
    "RETURNING id, status, content, media_urls, platforms, content_variants, scheduled_at, "
    "created_at, updated_at, completed_at"
)

_ACTIVE_PLATFORMS = (
    "SELECT platform FROM publishing_accounts "
    "WHERE user_id = $1 AND is_active AND NOT needs_reconnect"
)


async def user(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record | None:
    """The user's id, email, time zone and creation time."""
    return await conn.fetchrow(USER, user_id)


async def post(
    conn: asyncpg.Connection, user_id: uuid.UUID, post_id: uuid.UUID
) -> list[asyncpg.Record]:
    """One of the user's posts, a row per result (one row with null result columns when it
    has none); empty when the user has no such post."""
    return list(await conn.fetch(ONE_POST, post_id, user_id))


def page_query(
    *,
    status: str | None,
    platform: str | None,
    scheduled_from: datetime | None,
    scheduled_to: datetime | None,
    after: Position | None,
    limit: int,
) -> tuple[str, list[Any]]:
    """The statement for :func:`page` and its arguments after the user's id."""
    where = ["p.user_id = $1"]
    args: list[Any] = []

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args) + 1}"

    if status is not None:
        where.append(f"p.status = {arg(status)}")
    if platform is not None:
        where.append(f"p.platforms @> ARRAY[{arg(platform)}]::varchar(16)[]")
    if scheduled_from is not None:
        where.append(f"p.scheduled_at >= {arg(scheduled_from)}")
    if scheduled_to is not None:
        where.append(f"p.scheduled_at < {arg(scheduled_to)}")
    if after is not None:
        at, rid = after
        a, i = arg(at), arg(rid)
        where.append(f"(p.created_at < {a} OR (p.created_at = {a} AND p.id < {i}))")
    sql = (
        f"WITH p AS (SELECT * FROM posts p WHERE {' AND '.join(where)} "
        f"ORDER BY p.created_at DESC, p.id DESC LIMIT {arg(limit)}) "
        f"SELECT {_POST}, {_RESULT} FROM p "
        "LEFT JOIN post_platform_results r ON r.post_id = p.id "
        "ORDER BY p.created_at DESC, p.id DESC, r.platform"
    )
    return sql, args


async def page(
    conn: asyncpg.Connection,
    user_id: uuid.UUID,
    *,
    limit: int,
    status: str | None = None,
    platform: str | None = None,
    scheduled_from: datetime | None = None,
    scheduled_to: datetime | None = None,
    after: Position | None = None,
) -> list[asyncpg.Record]:
    """Up to ``limit`` of the user's posts, newest first by (created_at, id), a row per
    result as in :func:`post`: one statement for the page and its results."""
    sql, args = page_query(
        status=status,
        platform=platform,
        scheduled_from=scheduled_from,
        scheduled_to=scheduled_to,
        after=after,
        limit=limit,
    )
    return list(await conn.fetch(sql, user_id, *args))


def grouped(rows: Sequence[asyncpg.Record]) -> list[tuple[asyncpg.Record, list[asyncpg.Record]]]:
    """Rows of :func:`post` or :func:`page` as (post row, its result rows), in order."""
    out: list[tuple[asyncpg.Record, list[asyncpg.Record]]] = []
    last = None
    for row in rows:
        if row["id"] != last:
            out.append((row, []))
            last = row["id"]
        if row["r_platform"] is not None:
            out[-1][1].append(row)
    return out


async def insert_post(conn: asyncpg.Connection, values: dict[str, Any]) -> asyncpg.Record:
    """Insert a post (the columns the API sets; the database fills in the rest)."""
    return await conn.fetchrow(
        _NEW_POST,
        uuid.uuid4(),
        values["user_id"],
        values["content"],
        values["media_urls"],
        values["platforms"],
        json.dumps(values["content_variants"]),
        values["scheduled_at"],
        values["timezone"],
        str(values["status"]),
    )


async def active_platforms(conn: asyncpg.Connection, user_id: uuid.UUID) -> set[str]:
    """The platforms the user has an account on that can post now."""
    return {r["platform"] for r in await conn.fetch(_ACTIVE_PLATFORMS, user_id)}


# -- idempotency keys (as herald_db.repositories.idempotency, on the same table) ----------


async def drop_expired_key(
    conn: asyncpg.Connection, user_id: uuid.UUID, key: str, *, before: datetime
) -> None:
    await conn.execute(
        "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND created_at < $3",
        user_id,
        key,
        before,
    )


async def take_key(
    conn: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    request_hash: str,
) -> bool:
    """Insert the key's row; False when the user already holds it (waits on the unique
    index while another transaction holds the same key)."""
    taken = await conn.fetchval(
        "INSERT INTO idempotency_keys (id, user_id, key, method, path, request_hash) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, key) DO NOTHING RETURNING id",
        uuid.uuid4(),
        user_id,
        key,
        method,
        path,
        request_hash,
    )
    return taken is not None


async def key(conn: asyncpg.Connection, user_id: uuid.UUID, key: str) -> asyncpg.Record:
    """The user's row for ``key`` (it must exist)."""
    row = await conn.fetchrow(
        "SELECT method, path, request_hash, status_code, response_body FROM idempotency_keys "
        "WHERE user_id = $1 AND key = $2",
        user_id,
        key,
    )
    assert row is not None
    return row


async def store_answer(
    conn: asyncpg.Connection, user_id: uuid.UUID, key: str, status_code: int, body: str
) -> None:
    """Keep the answer (its JSON text) on the user's row for ``key``."""
    await conn.execute(
        "UPDATE idempotency_keys SET status_code = $3, response_body = $4 "
        "WHERE user_id = $1 AND key = $2",
        user_id,
        key,
        status_code,
        body,
    )
