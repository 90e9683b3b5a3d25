"""Helpers for pipeline tests: a user with four connected accounts, posts, reads."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from herald_db.models import Post, PostPlatformResult, PublishAttempt
from tests.factories import Caller, connect_via_oauth, register

ALL = ["TWITTER", "INSTAGRAM", "LINKEDIN", "FACEBOOK"]


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
