"""Readiness checks and a tiny health HTTP app for the non-web services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[None]]


def postgres_check(engine: AsyncEngine) -> Check:
    """Readiness: a connection from the pool answers ``SELECT 1``.

    The one SQL outside ``herald_db.repositories``, and on purpose: it reads no table of
    Herald's (it asks the server to answer, nothing more), and it runs on the engine, not in
    a session, so it has no place among the repositories. The guard test in
    tests/test_repository.py allows exactly this import of ``text``.
    """

    async def check() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    return check


def redis_check(redis: Redis) -> Check:
    async def check() -> None:
        await redis.ping()

    return check


async def run_checks(checks: dict[str, Check], limit_seconds: float = 2.0) -> dict[str, str]:
    results: dict[str, str] = {}

    async def one(name: str, check: Check) -> None:
        try:
            await asyncio.wait_for(check(), limit_seconds)
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            results[name] = f"error: {type(exc).__name__}"

    await asyncio.gather(*(one(n, c) for n, c in checks.items()))
    return results


Refresh = Callable[[], Awaitable[None]]


def add_health_routes(
    app: FastAPI, checks: Callable[[], dict[str, Check]], refresh: Refresh | None = None
) -> None:
    """``/healthz``, ``/readyz`` (``checks`` must pass) and ``/metrics``.

    ``refresh`` updates gauges read at scrape time (queue depth, retries pending); when it
    fails or is slow, the scrape still answers with the last values.
    """

    @app.get("/healthz", tags=["health"], summary="Liveness: the process answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get(
        "/readyz",
        tags=["health"],
        summary="Readiness: Postgres and Redis reachable",
        responses={
            503: {
                "description": "A dependency does not answer (the same body)",
                "content": {"application/json": {}},
            }
        },
    )
    async def readyz(response: Response) -> dict[str, object]:
        results = await run_checks(checks())
        ok = all(v == "ok" for v in results.values())
        response.status_code = 200 if ok else 503
        return {"status": "ok" if ok else "unavailable", "checks": results}

    @app.get(
        "/metrics",
        tags=["health"],
        summary="Prometheus metrics",
        response_class=PlainTextResponse,
        responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    )
    async def metrics() -> Response:
        if refresh is not None:
            try:
                await asyncio.wait_for(refresh(), 2.0)
            except Exception as exc:  # noqa: BLE001 - stale gauges beat a failed scrape
                log.warning("could not refresh gauges for /metrics (%s)", type(exc).__name__)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
