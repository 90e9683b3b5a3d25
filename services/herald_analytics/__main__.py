"""Run the analytics service: ``python -m herald_analytics``.

For now it answers health checks only; metric collection arrives with its own issue.
"""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from herald_analytics.settings import AnalyticsSettings
from herald_common.health import postgres_check, redis_check
from herald_common.logging import configure_logging
from herald_common.service import health_app, run_until_signalled, serve_http, stop_http
from herald_db.session import make_engine


async def main(stop: asyncio.Event) -> None:
    settings = AnalyticsSettings()
    configure_logging(settings.log_level, settings.log_json, "analytics")
    engine = make_engine(settings.database_url, pool_size=2)
    redis = Redis.from_url(settings.redis_url)
    app = health_app(
        "Herald analytics",
        lambda: {"postgres": postgres_check(engine), "redis": redis_check(redis)},
    )
    server = await serve_http(app, settings.analytics_host, settings.analytics_port)
    try:
        await stop.wait()
    finally:
        await stop_http(server)
        await redis.aclose()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(run_until_signalled(main))
