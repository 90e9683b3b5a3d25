"""The reference for the API benchmark: the least a FastAPI endpoint can do for the same work.

Each endpoint decodes the bearer token (HS256, joserfc, as Herald does), reads the user and
does the same statements as Herald's endpoint, on raw asyncpg inside one transaction, and
answers the same JSON shape. Run it as ``python -m herald_bench.refapp`` with
``DATABASE_URL``, ``HERALD_JWT_SECRET`` and ``HERALD_API_PORT`` set; uvicorn runs it with
the settings Herald's own entry point uses.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, HTTPException, Request, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey
from pydantic import BaseModel, Field

from herald_db.session import sync_url

POST_COLUMNS = (
    "id, status, content, media_urls, platforms, content_variants, scheduled_at, timezone, "
    "created_at, updated_at, completed_at"
)
RESULT_COLUMNS = (
    "post_id, platform, status, external_post_id, error_kind, error_message, attempts, "
    "next_attempt_at, published_at"
)


class PostIn(BaseModel):
    content: str = Field("", max_length=100_000)
    platforms: list[str] = Field(min_length=1, max_length=4)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _post(row: asyncpg.Record, zone: str, results: list[asyncpg.Record]) -> dict[str, Any]:
    variants = row["content_variants"]
    return {
        "id": str(row["id"]),
        "status": row["status"],
        "content": row["content"],
        "media_urls": list(row["media_urls"]),
        "platforms": list(row["platforms"]),
        "content_variants": json.loads(variants) if isinstance(variants, str) else variants,
        "scheduled_at": _iso(row["scheduled_at"]),
        "scheduled_at_local": None,
        "timezone": zone,
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
        "completed_at": _iso(row["completed_at"]),
        "results": [
            {
                "platform": r["platform"],
                "status": r["status"],
                "external_post_id": r["external_post_id"],
                "error_kind": r["error_kind"],
                "error_message": r["error_message"],
                "attempts": r["attempts"],
                "next_attempt_at": _iso(r["next_attempt_at"]),
                "published_at": _iso(r["published_at"]),
            }
            for r in results
        ],
    }


def create_app(database_url: str, jwt_secret: str, pool_size: int) -> FastAPI:
    key = OctKey.import_key(jwt_secret.encode())
    pools: dict[str, asyncpg.Pool] = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pools["db"] = await asyncpg.create_pool(
            sync_url(database_url), min_size=pool_size, max_size=pool_size
        )
        try:
            yield
        finally:
            await pools["db"].close()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)

    def caller(request: Request) -> uuid.UUID:
        header = request.headers.get("authorization", "")
        if not header.startswith("Bearer "):
            raise HTTPException(401)
        try:
            claims = jwt.decode(header[7:], key, algorithms=["HS256"]).claims
        except (JoseError, ValueError) as exc:
            raise HTTPException(401) from exc
        if claims.get("iss") != "herald" or not isinstance(claims.get("sub"), str):
            raise HTTPException(401)
        return uuid.UUID(claims["sub"])

    async def user_row(conn: asyncpg.Connection, user_id: uuid.UUID) -> asyncpg.Record:
        row = await conn.fetchrow(
            "SELECT id, email, password_hash, timezone, created_at, updated_at "
            "FROM users WHERE id = $1",
            user_id,
        )
        if row is None:
            raise HTTPException(401)
        return row

    def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        return Response(
            json.dumps(body, separators=(",", ":")),
            status_code=status,
            media_type="application/json",
            headers=headers,
        )

    @app.post("/v1/posts")
    async def create_post(data: PostIn, request: Request) -> Response:
        user_id = caller(request)
        async with pools["db"].acquire() as conn, conn.transaction():
            user = await user_row(conn, user_id)
            row = await conn.fetchrow(
                f"INSERT INTO posts (id, user_id, content, media_urls, platforms, "
                f"content_variants, timezone, status) "
                f"VALUES ($1, $2, $3, '{{}}', $4, '{{}}'::jsonb, $5, 'DRAFT') "
                f"RETURNING {POST_COLUMNS}",
                uuid.uuid4(),
                user_id,
                data.content,
                data.platforms,
                user["timezone"],
            )
        body = _post(row, user["timezone"], [])
        return answer(body, 201, {"Location": f"/v1/posts/{body['id']}"})

    @app.get("/v1/posts")
    async def list_posts(request: Request) -> Response:
        user_id = caller(request)
        async with pools["db"].acquire() as conn, conn.transaction():
            user = await user_row(conn, user_id)
            rows = await conn.fetch(
                f"SELECT {POST_COLUMNS} FROM posts WHERE user_id = $1 "
                "ORDER BY created_at DESC, id DESC LIMIT 51",
                user_id,
            )
            page = rows[:50]
            results = await conn.fetch(
                f"SELECT {RESULT_COLUMNS} FROM post_platform_results "
                "WHERE post_id = ANY($1::uuid[]) ORDER BY platform",
                [r["id"] for r in page],
            )
        by_post: dict[uuid.UUID, list[asyncpg.Record]] = {}
        for r in results:
            by_post.setdefault(r["post_id"], []).append(r)
        items = [_post(r, user["timezone"], by_post.get(r["id"], [])) for r in page]
        cursor = (
            f"{page[-1]['created_at'].isoformat()}|{page[-1]['id']}" if len(rows) > 50 else None
        )
        return answer({"items": items, "next_cursor": cursor})

    @app.get("/v1/posts/{post_id}")
    async def get_post(post_id: uuid.UUID, request: Request) -> Response:
        user_id = caller(request)
        async with pools["db"].acquire() as conn, conn.transaction():
            user = await user_row(conn, user_id)
            row = await conn.fetchrow(
                f"SELECT {POST_COLUMNS} FROM posts WHERE id = $1 AND user_id = $2",
                post_id,
                user_id,
            )
            if row is None:
                raise HTTPException(404)
            results = await conn.fetch(
                f"SELECT {RESULT_COLUMNS} FROM post_platform_results "
                "WHERE post_id = $1 ORDER BY platform",
                post_id,
            )
        return answer(_post(row, user["timezone"], list(results)))

    @app.get("/v1/me")
    async def me(request: Request) -> Response:
        user_id = caller(request)
        async with pools["db"].acquire() as conn, conn.transaction():
            user = await user_row(conn, user_id)
        return answer(
            {
                "id": str(user["id"]),
                "email": user["email"],
                "timezone": user["timezone"],
                "created_at": user["created_at"].isoformat(),
            }
        )

    @app.get("/readyz")
    async def ready() -> Response:
        return answer({"status": "ok"})

    return app


def main() -> None:
    app = create_app(
        os.environ["DATABASE_URL"],
        os.environ["HERALD_JWT_SECRET"],
        int(os.environ.get("HERALD_DB_POOL_SIZE", "20")),
    )
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=int(os.environ["HERALD_API_PORT"]),
        access_log=False,
        log_config=None,
    )


if __name__ == "__main__":
    main()
