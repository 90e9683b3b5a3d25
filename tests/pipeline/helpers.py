"""Helpers for pipeline tests: a user with four connected accounts, posts, reads."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import func, select

from herald_common.crypto import SecretBox
from herald_common.ratelimit import RateLimiter
from herald_db.enums import Platform
from herald_db.models import Post, PostPlatformResult, PublishAttempt
from herald_platforms.http import make_client
from herald_platforms.registry import get_adapter
from herald_publisher.publish import Deps
from tests.factories import Caller, connect_via_oauth, register

ALL = ["TWITTER", "INSTAGRAM", "LINKEDIN", "FACEBOOK"]


@contextlib.asynccontextmanager
async def publisher_deps(pipeline: Any) -> AsyncIterator[Deps]:
    """What a publish job runs with, on the pipeline's settings and clock: for tests that
    take a job apart (prepare, send, and a death before recording)."""
    settings = pipeline.publisher_settings
    redis = Redis.from_url(settings.redis_url)
    http = make_client(settings)
    try:
        yield Deps(
            sessionmaker=pipeline.sessionmaker,
            http=http,
            box=SecretBox(settings.encryption_keys),
            limiter=RateLimiter(redis, settings.redis_prefix),
            adapters={p: get_adapter(p, settings) for p in Platform},
            settings=settings,
            clock=pipeline.clock,
        )
    finally:
        await http.aclose()
        await redis.aclose()


async def user_with_accounts(pipeline: Any, platforms: list[str] = ALL) -> Caller:
    caller = await register(pipeline.api)
    login = uuid.uuid4().hex[:8]
    for p in platforms:
        await connect_via_oauth(pipeline.api, caller, p.lower(), login=login)
    return caller


async def schedule(
    pipeline: Any,
    caller: Caller,
    *,
    seconds: float = 2.0,
    platforms: list[str] = ALL,
    text: str | None = None,
) -> str:
    when = datetime.now(UTC) + timedelta(seconds=seconds)
    body = {
        "content": text or f"post {uuid.uuid4().hex}",
        "platforms": platforms,
        "media_urls": [pipeline.sim.media_url()] if "INSTAGRAM" in platforms else [],
        "scheduled_at": when.isoformat(),
    }
    r = await pipeline.api.post("/v1/posts", json=body, headers=caller.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def post_status(pipeline: Any, post_id: str) -> str:
    async with pipeline.sessionmaker() as s:
        return str((await s.get(Post, uuid.UUID(post_id))).status.value)


async def results(pipeline: Any, post_id: str) -> dict[str, PostPlatformResult]:
    async with pipeline.sessionmaker() as s:
        rows = await s.execute(
            select(PostPlatformResult).where(PostPlatformResult.post_id == uuid.UUID(post_id))
        )
        return {r.platform.value: r for r in rows.scalars()}


async def attempts(pipeline: Any, post_id: str) -> list[PublishAttempt]:
    async with pipeline.sessionmaker() as s:
        rows = await s.execute(
            select(PublishAttempt)
            .where(PublishAttempt.post_id == uuid.UUID(post_id))
            .order_by(PublishAttempt.id)
        )
        return list(rows.scalars())


async def count_status(pipeline: Any, statuses: tuple[str, ...]) -> int:
    async with pipeline.sessionmaker() as s:
        return int(
            (
                await s.execute(
                    select(func.count()).select_from(Post).where(Post.status.in_(statuses))
                )
            ).scalar_one()
        )


async def exactly_once(pipeline: Any) -> dict[str, int]:
    """Every published item in the simulator, counted by request text+platform+account."""
    seen: dict[str, int] = {}
    for item in await pipeline.sim.published():
        key = f"{item['platform']}|{item['account']}|{item['text']}"
        seen[key] = seen.get(key, 0) + 1
    return seen
