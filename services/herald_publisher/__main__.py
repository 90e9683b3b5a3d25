"""Run the publisher: ``python -m herald_publisher`` (an arq worker plus /healthz, /readyz)."""

from __future__ import annotations

import asyncio
import contextlib

from herald_common.health import Check, postgres_check, redis_check
from herald_common.logging import configure_logging
from herald_common.service import (
    health_app,
    refuse_insecure_start,
    run_until_signalled,
    serve_http,
    stop_http,
)
from herald_publisher.settings import PublisherSettings
from herald_publisher.worker import build_worker


async def _not_started() -> None:
    raise RuntimeError("the worker has not started yet")


async def main(stop: asyncio.Event) -> None:
    settings = PublisherSettings()
    configure_logging(settings.log_level, settings.log_format, "publisher")
    refuse_insecure_start(settings, "publisher")
    worker = build_worker(settings)

    def checks() -> dict[str, Check]:
        ctx = worker.ctx
        if "engine" not in ctx:
            return {"worker": _not_started}
        return {
            "postgres": postgres_check(ctx["engine"]),
            "redis": redis_check(ctx["redis_client"]),
        }

    server = await serve_http(
        health_app("Herald publisher", checks), settings.publisher_host, settings.publisher_port
    )
    run = asyncio.create_task(worker.async_run())
    try:
        done, _ = await asyncio.wait(
            [run, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
        )
        if run in done:
            run.result()
    finally:
        run.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await run
        await worker.close()
        await stop_http(server)


if __name__ == "__main__":
    asyncio.run(run_until_signalled(main))
