"""Run the scheduler: ``python -m herald_scheduler`` (the loop plus /healthz, /readyz)."""

from __future__ import annotations

import asyncio

from arq import create_pool
from arq.connections import RedisSettings

from herald_common.health import postgres_check, redis_check
from herald_common.logging import configure_logging
from herald_common.service import health_app, run_until_signalled, serve_http, stop_http
from herald_db.session import make_engine, make_sessionmaker
from herald_scheduler.loop import Scheduler
from herald_scheduler.settings import SchedulerSettings


async def main(stop: asyncio.Event) -> None:
    settings = SchedulerSettings()
    configure_logging(settings.log_level, settings.log_format, "scheduler")
    engine = make_engine(settings.database_url, pool_size=4)
    arq = await create_pool(RedisSettings.from_dsn(settings.redis_url))
    scheduler = Scheduler(settings, make_sessionmaker(engine), arq)
    server = await serve_http(
        health_app(
            "Herald scheduler",
            lambda: {"postgres": postgres_check(engine), "redis": redis_check(arq)},
            scheduler.refresh_gauges,
        ),
        settings.scheduler_host,
        settings.scheduler_port,
    )
    try:
        await scheduler.run(stop)
    finally:
        await stop_http(server)
        await arq.aclose()
        await engine.dispose()


if __name__ == "__main__":
    asyncio.run(run_until_signalled(main))
