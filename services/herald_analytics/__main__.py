"""Run the analytics service: ``python -m herald_analytics`` (the collector plus /healthz,
/readyz and /metrics; in development also ``POST /_dev/clock``, see ``add_dev_clock``)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
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
from herald_common.timeutil import utcnow
from herald_db.enums import Platform
from herald_db.session import make_engine, make_sessionmaker
from herald_platforms.http import make_client
from herald_platforms.registry import get_adapter

# A year: far enough for any reading (the last is 7 days after publication).
MAX_ADVANCE_SECONDS = 366 * 86400.0


class MovableClock:
    """Real time plus an offset (``HERALD_ANALYTICS_CLOCK_OFFSET_SECONDS``); in development
    the offset can be moved forward while the service runs."""

    def __init__(self, offset_seconds: float = 0.0) -> None:
        self.offset = timedelta(seconds=offset_seconds)

    def __call__(self) -> datetime:
        return utcnow() + self.offset


def add_dev_clock(app: FastAPI, clock: MovableClock, collector: Collector) -> None:
    """``POST /_dev/clock``: ``{"advance": seconds}`` moves the service's clock forward, so
    readings planned hours or days after publication fall due now (the demo moves the
    simulator's clock by as much); ``{"offset": seconds}`` sets how far ahead of real time it
    is (0: back to real time). Only in development."""

    @app.post("/_dev/clock", include_in_schema=False)
    async def move_clock(request: Request) -> JSONResponse:
        try:
            body = await request.json()
            name = "offset" if "offset" in body else "advance"
            seconds = float(body[name])
            if not 0 <= seconds <= MAX_ADVANCE_SECONDS:
                raise ValueError
        except (ValueError, TypeError, KeyError):
            return JSONResponse(
                {
                    "type": "about:blank",
                    "title": "Invalid clock move",
                    "status": 422,
                    "detail": "Give advance or offset, a number of seconds from 0 to "
                    f"{MAX_ADVANCE_SECONDS:.0f}.",
                    "field": "advance",
                },
                status_code=422,
                media_type="application/problem+json",
            )
        if name == "offset":
            clock.offset = timedelta(seconds=seconds)
        else:
            clock.offset += timedelta(seconds=seconds)
        collector.wake()
        return JSONResponse(
            {"now": clock().isoformat(), "offset_seconds": clock.offset.total_seconds()}
        )


async def main(stop: asyncio.Event) -> None:
    settings = AnalyticsSettings()
    configure_logging(settings.log_level, settings.log_format, "analytics")
    refuse_insecure_start(settings, "analytics")
    engine = make_engine(
        settings.database_url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
    )
    redis = Redis.from_url(settings.redis_url)
    http = make_client(settings, max_connections=200)
    clock = MovableClock(settings.analytics_clock_offset_seconds)
    collector = Collector(
        settings,
        make_sessionmaker(engine),
        http,
        SecretBox(settings.encryption_keys),
        RateLimiter(redis, settings.redis_prefix),
        {p: get_adapter(p, settings) for p in Platform},
        clock=clock,
    )
    app = health_app(
        "Herald analytics",
        lambda: {"postgres": postgres_check(engine), "redis": redis_check(redis)},
    )
    if settings.is_dev:
        add_dev_clock(app, clock, collector)
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
