"""The arq worker: start-up builds what jobs share (engine, Redis, the platform client)."""

from __future__ import annotations

import os
import socket
import uuid
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Worker, func
from redis.asyncio import Redis

from herald_common.crypto import SecretBox
from herald_common.jobs import PUBLISH_JOB
from herald_common.logging import log_context
from herald_common.netguard import Resolver, guarded_client, system_resolver
from herald_common.ratelimit import RateLimiter
from herald_common.timeutil import Clock, utcnow
from herald_common.webhooks import destinations as webhook_destinations
from herald_db.enums import Platform
from herald_db.session import make_engine, make_sessionmaker
from herald_platforms.http import make_client
from herald_platforms.registry import get_adapter
from herald_publisher.publish import Deps, publish_posts
from herald_publisher.settings import PublisherSettings


def redis_settings(url: str) -> RedisSettings:
    return RedisSettings.from_dsn(url)


async def publish_posts_job(ctx: dict[str, Any], post_ids: list[str]) -> dict[str, int]:
    deps: Deps = ctx["deps"]
    with log_context(job_id=ctx.get("job_id")):
        return await publish_posts(deps, [uuid.UUID(p) for p in post_ids])


def build_worker(
    settings: PublisherSettings,
    *,
    clock: Clock = utcnow,
    burst: bool = False,
    resolver: Resolver = system_resolver,
) -> Worker:
    """A worker for ``settings``; the tests run it with ``burst=True``.

    ``resolver`` looks up webhook hosts (tests stand in for public DNS).
    """
    settings.require_own_secrets()

    async def startup(ctx: dict[str, Any]) -> None:
        engine = make_engine(
            settings.database_url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
        )
        redis = Redis.from_url(settings.redis_url)
        http = make_client(
            settings,
            max_connections=settings.http_max_connections,
            transport=settings.http_transport,
        )
        sessionmaker = make_sessionmaker(engine)
        box = SecretBox(settings.encryption_keys)
        hooks = webhook_destinations(settings, resolver)
        ctx.update(
            engine=engine,
            redis_client=redis,
            http=http,
            # Webhooks go to user-chosen URLs: their own client, every connection guarded.
            webhook_destinations=hooks,
            webhook_http=guarded_client(hooks, timeout=settings.webhook_timeout_seconds),
            sessionmaker=sessionmaker,
            box=box,
            clock=clock,
            settings=settings,
        )
        ctx["deps"] = Deps(
            sessionmaker=sessionmaker,
            http=http,
            box=box,
            limiter=RateLimiter(redis, settings.redis_prefix),
            adapters={p: get_adapter(p, settings) for p in Platform},
            settings=settings,
            clock=clock,
            worker_name=f"{socket.gethostname()}:{os.getpid()}",
        )

    async def shutdown(ctx: dict[str, Any]) -> None:
        await ctx["http"].aclose()
        await ctx["webhook_http"].aclose()
        await ctx["redis_client"].aclose()
        await ctx["engine"].dispose()

    functions: list[Any] = [func(publish_posts_job, name=PUBLISH_JOB)]
    try:
        from herald_common.jobs import DELIVER_JOB
        from herald_publisher.webhooks import deliver_webhook

        functions.append(func(deliver_webhook, name=DELIVER_JOB))
    except ImportError:  # pragma: no cover - webhooks not wired yet
        pass

    return Worker(
        functions=functions,
        queue_name=settings.queue_name,
        redis_settings=redis_settings(settings.redis_url),
        on_startup=startup,
        on_shutdown=shutdown,
        max_jobs=settings.max_jobs,
        job_timeout=max(5, int(settings.lease_seconds)),
        keep_result=60,
        poll_delay=settings.poll_delay_seconds,
        handle_signals=False,
        burst=burst,
        max_tries=1000,
    )
