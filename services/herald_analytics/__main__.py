"""Run the analytics service: ``python -m herald_analytics`` (the collector plus /healthz,
/readyz and /metrics)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from redis.asyncio import Redis

from herald_analytics.collect import Collector
from herald_analytics.settings import AnalyticsSettings
from herald_common.crypto import SecretBox
from herald_common.health import postgres_check, redis_check
from herald_common.logging import configure_logging
from herald_common.ratelimit import RateLimiter
from herald_common.service import (
    health_app,
    refuse_insecure_start,
    run_until_signalled,
    serve_http,
    stop_http,
)
from herald_common.timeutil import Clock, utcnow
from herald_db.enums import Platform
from herald_db.session import make_engine, make_sessionmaker
from herald_platforms.http import make_client
from herald_platforms.registry import get_adapter


def shifted(offset_seconds: float) -> Clock:
    if not offset_seconds:
        return utcnow
    offset = timedelta(seconds=offset_seconds)

    def clock() -> datetime:
        return utcnow() + offset

    return clock


async def main(stop: asyncio.Event) -> None:
    settings = AnalyticsSettings()
    configure_logging(settings.log_level, settings.log_json, "analytics")
    refuse_insecure_start(settings, "analytics")
    engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    redis = Redis.from_url(settings.redis_url)
    http = make_client(settings, max_connections=200)
    collector = Collector(
        settings,
        make_sessionmaker(engine),
        http,
        SecretBox(settings.encryption_keys),
        RateLimiter(redis, settings.redis_prefix),
        {p: get_adapter(p, settings) for p in Platform},
        clock=shifted(settings.analytics_clock_offset_seconds),
    )
    app = health_app(
        "Herald analytics",
        lambda: {"postgres": postgres_check(engine), "redis": redis_check(redis)},
    )
    server = await serve_http(app, settings.analytics_host, settings.analytics_port)
    try:
        await collector.run(stop)
    finally:
        await stop_http(server)
        await http.aclose()
        await redis.aclose()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(run_until_signalled(main))
