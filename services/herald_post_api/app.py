"""The post API application factory."""

from __future__ import annotations

import asyncio
import gc
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from redis.asyncio import Redis

from herald_common.crypto import SecretBox
from herald_common.health import add_health_routes, postgres_check, redis_check
from herald_common.metrics import HttpMetrics
from herald_common.netguard import Resolver, system_resolver
from herald_common.requests import RequestContext
from herald_common.timeutil import Clock, utcnow
from herald_common.webhooks import destinations as webhook_destinations
from herald_db.session import make_engine, make_sessionmaker
from herald_post_api import docs, openapi, problems
from herald_post_api.accounts.router import router as accounts_router
from herald_post_api.analytics.router import posts_router as post_analytics_router
from herald_post_api.analytics.router import router as analytics_router
from herald_post_api.auth.router import router as auth_router
from herald_post_api.auth.security import dummy_hash
from herald_post_api.auth.throttle import LoginThrottle
from herald_post_api.calendar.router import router as calendar_router
from herald_post_api.cpu import CpuPool, default_size
from herald_post_api.deps import bind_post_id
from herald_post_api.middleware import (
    BodySizeLimit,
    LargeBodyGate,
    RefuseNul,
    SecurityHeaders,
)
from herald_post_api.notifications.router import router as notifications_router
from herald_post_api.posts.attempts import router as attempts_router
from herald_post_api.posts.bulk_router import router as bulk_router
from herald_post_api.posts.router import router as posts_router
from herald_post_api.settings import PostApiSettings
from herald_post_api.users.router import router as users_router
from herald_post_api.webhooks.router import router as webhooks_router

GIL_SWITCH_SECONDS = 0.0005

DESCRIPTION = """
Herald schedules social posts and publishes them to X, Instagram, LinkedIn and Facebook
Pages on time.

* Authenticate with `POST /v1/auth/token` and send `Authorization: Bearer <token>`.
* Times: send `scheduled_at` with an offset, or as local time read in your time zone.
  Responses carry `scheduled_at` (UTC) and `scheduled_at_local` (your zone).
* Errors are RFC 9457 `application/problem+json`; `field` names the offending input.
  No string may hold the NUL character (U+0000): such a request answers 422.
* Everything is scoped to the caller: another user's ids answer 404.
"""

# Connections busy serving requests are not pinged before each use; one idle this long is.
POOL_PING_AFTER_IDLE_SECONDS = 10.0


def create_app(
    settings: PostApiSettings | None = None,
    *,
    clock: Clock = utcnow,
    resolver: Resolver = system_resolver,
) -> FastAPI:
    """The API; ``resolver`` looks up webhook hosts (tests stand in for public DNS)."""
    settings = settings or PostApiSettings()
    settings.require_own_secrets()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # A fixed pool of as many connections as the settings allow in all: one opened stays
        # open (an overflow connection would be closed when handed back and opened again at
        # the next burst: a new session, its type lookups and prepared statements each time).
        connections = settings.db_pool_size + settings.db_max_overflow
        engine = make_engine(
            settings.database_url,
            pool_size=connections,
            max_overflow=0,
            echo=settings.db_echo,
            ping_after_idle=POOL_PING_AFTER_IDLE_SECONDS,
        )
        redis = Redis.from_url(settings.redis_url)
        http = httpx.AsyncClient(timeout=settings.http_timeout_seconds)
        app.state.http = http
        app.state.engine = engine
        app.state.sessionmaker = make_sessionmaker(engine)
        # Requests served on asyncpg directly take a connection in the order they came: the
        # pool's own wait lets a newcomer take a connection handed back to an earlier waiter,
        # which then queues again (at 100 clients on 20 connections, p50 46 ms but p99 1.2 s).
        app.state.db_turns = asyncio.Semaphore(connections)
        app.state.redis = redis
        app.state.login_throttle = LoginThrottle(
            redis,
            settings.redis_prefix,
            settings.login_attempts_per_account,
            settings.login_attempts_per_address,
            settings.login_window_seconds,
        )
        # The pool's threads run pure-Python checks that hold the GIL; the event loop gets
        # it back within half a millisecond instead of Python's default five, so other
        # users' requests do not wait on a long check (make bench BENCH_ARGS=worst).
        sys.setswitchinterval(GIL_SWITCH_SECONDS)
        cpu = CpuPool(settings.cpu_threads or default_size())
        app.state.cpu = cpu
        # Made now, so the first login for an unknown email is not the one that pays for it.
        await cpu.run(dummy_hash)
        # What start-up made lives as long as the process: out of the collector's sight, so a
        # full collection walks only what requests made since, not the ~180,000 objects of
        # the libraries and the app (about 100 ms with the event loop stopped, every few
        # seconds under load; make bench BENCH_ARGS=worst).
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            gc.unfreeze()
            cpu.close()
            await http.aclose()
            await redis.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Herald API",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        dependencies=[Depends(bind_post_id)],
        openapi_tags=docs.TAGS,
        # Served by docs.install from local assets, never from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    docs.install(app)
    app.state.settings = settings
    app.state.clock = clock
    app.state.box = SecretBox(settings.encryption_keys)
    app.state.webhook_destinations = webhook_destinations(settings, resolver)
    problems.install(app)
    app.add_middleware(RefuseNul)
    app.add_middleware(LargeBodyGate, threshold=settings.large_body_bytes)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    origins = [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]
    if origins:
        # Bearer tokens, not cookies: no credentials mode, and only the listed origins.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "idempotency-key", "x-request-id"],
            expose_headers=["location", "retry-after", "idempotent-replayed", "x-request-id"],
            max_age=600,
        )
    app.add_middleware(SecurityHeaders, hsts=not settings.is_dev)
    # A request id on every line logged for the request, and in the answer's headers.
    app.add_middleware(RequestContext)
    # Outermost: times every answer, the ones the middlewares above make included.
    app.add_middleware(HttpMetrics)
    add_health_routes(
        app,
        lambda: {
            "postgres": postgres_check(app.state.engine),
            "redis": redis_check(app.state.redis),
        },
    )
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(bulk_router)
    app.include_router(posts_router)
    app.include_router(attempts_router)
    app.include_router(accounts_router)
    app.include_router(notifications_router)
    app.include_router(webhooks_router)
    app.include_router(calendar_router)
    app.include_router(post_analytics_router)
    app.include_router(analytics_router)

    def contract() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi.finish(
                get_openapi(
                    title=app.title,
                    version=app.version,
                    description=app.description,
                    routes=app.routes,
                    tags=app.openapi_tags,
                )
            )
        return app.openapi_schema

    app.openapi = contract  # type: ignore[method-assign]
    return app
