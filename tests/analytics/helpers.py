"""Helpers for analytics tests: posts published straight through an adapter, a collector
on the pipeline's clock, snapshots and fetches read back."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Any

from redis.asyncio import Redis
from sqlalchemy import func, select, text

from herald_analytics.collect import Collector
from herald_analytics.settings import AnalyticsSettings
from herald_common.ratelimit import RateLimiter
from herald_db.enums import Platform
from herald_db.models import AnalyticsFetch, AnalyticsSnapshot, PublishingAccount
from herald_platforms.base import AccountRef, Credentials, PostPayload
from herald_platforms.http import make_client
from herald_platforms.registry import get_adapter
from herald_platforms.tokens import MemoryTokens


def analytics_settings(pipeline: Any, **extra: Any) -> AnalyticsSettings:
    s = pipeline.publisher_settings
    return AnalyticsSettings(
        database_url=s.database_url,
        redis_url=s.redis_url,
        redis_prefix=s.redis_prefix,
        **pipeline.sim.platform_settings_kwargs(),
        **extra,
    )


class Running:
    """A collector on the pipeline's clock, with what it needs opened and closed."""

    def __init__(self, pipeline: Any, **extra: Any) -> None:
        self.settings = analytics_settings(pipeline, **extra)
        self.pipeline = pipeline

    async def __aenter__(self) -> Collector:
        self.redis = Redis.from_url(self.settings.redis_url)
        self.http = make_client(self.settings, max_connections=100)
        return Collector(
            self.settings,
            self.pipeline.sessionmaker,
            self.http,
            self.pipeline.box,
            RateLimiter(self.redis, self.settings.redis_prefix),
            {p: get_adapter(p, self.settings) for p in Platform},
            clock=self.pipeline.clock,
        )

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()
        await self.redis.aclose()


async def account_of(pipeline: Any, user_id: uuid.UUID, platform: Platform) -> PublishingAccount:
    async with pipeline.sessionmaker() as s:
        row = await s.execute(
            select(PublishingAccount).where(
                PublishingAccount.user_id == user_id, PublishingAccount.platform == platform
            )
        )
        return row.scalars().one()


async def publish_direct(
    pipeline: Any,
    user_id: uuid.UUID,
    platform: Platform,
    n: int,
    *,
    published_at: datetime,
    media: bool = False,
) -> list[uuid.UUID]:
    """``n`` posts published on the simulator through the adapter, recorded as SUCCEEDED
    platform results (which plans their fetches). Returns the post ids."""
    account = await account_of(pipeline, user_id, platform)
    settings = analytics_settings(pipeline)
    adapter = get_adapter(platform, settings)
    creds = Credentials.from_dict(pipeline.box.decrypt_json(account.credentials))
    ref = AccountRef(account.external_account_id, MemoryTokens(creds))
    tag = uuid.uuid4().hex[:8]
    media_urls = [pipeline.sim.media_url()] if media or platform is Platform.INSTAGRAM else []
    sem = asyncio.Semaphore(20)
    async with make_client(settings, max_connections=50) as http:

        async def one(i: int) -> str:
            async with sem:
                res = await adapter.publish(
                    http, ref, PostPayload(text=f"{tag} post {i}", media_urls=media_urls)
                )
                return res.external_post_id

        external = await asyncio.gather(*(one(i) for i in range(n)))
    post_ids = [uuid.uuid4() for _ in range(n)]
    async with pipeline.sessionmaker() as s:
        await s.execute(
            text(
                "INSERT INTO posts (id, user_id, content, media_urls, platforms, "
                "content_variants, scheduled_at, status, timezone) "
                "SELECT id, :uid, :tag, '{}', ARRAY[:platform], '{}', :at, 'PUBLISHED', 'UTC' "
                "FROM unnest(CAST(:ids AS uuid[])) AS id"
            ),
            {
                "uid": user_id,
                "tag": tag,
                "platform": platform.value,
                "at": published_at,
                "ids": post_ids,
            },
        )
        await s.execute(
            text(
                "INSERT INTO post_platform_results (id, post_id, platform, account_id, status, "
                "external_post_id, attempts, published_at) "
                "SELECT gen_random_uuid(), p, :platform, :account, 'SUCCEEDED', e, 1, :at "
                "FROM unnest(CAST(:ids AS uuid[]), CAST(:ext AS varchar[])) AS t (p, e)"
            ),
            {
                "platform": platform.value,
                "account": account.id,
                "at": published_at,
                "ids": post_ids,
                "ext": list(external),
            },
        )
        await s.commit()
    return post_ids


async def snapshot_count(pipeline: Any, post_ids: list[uuid.UUID]) -> int:
    async with pipeline.sessionmaker() as s:
        return int(
            (
                await s.execute(
                    select(func.count())
                    .select_from(AnalyticsSnapshot)
                    .where(AnalyticsSnapshot.post_id.in_(post_ids))
                )
            ).scalar_one()
        )


async def fetches_of(pipeline: Any, post_ids: list[uuid.UUID]) -> list[AnalyticsFetch]:
    async with pipeline.sessionmaker() as s:
        rows = await s.execute(
            text(
                "SELECT f.id FROM analytics_fetches f JOIN post_platform_results r "
                "ON r.id = f.result_id WHERE r.post_id = ANY(CAST(:ids AS uuid[]))"
            ),
            {"ids": post_ids},
        )
        ids = [r.id for r in rows]
        got = await s.execute(
            select(AnalyticsFetch).where(AnalyticsFetch.id.in_(ids)).order_by(AnalyticsFetch.id)
        )
        return list(got.scalars())
