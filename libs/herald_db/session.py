"""Engines and session scopes. Made at start-up and passed down; nothing connects at import.

A transaction begins and ends at the request or the job: :func:`session_scope` commits on
success and rolls back on error. Code below it may ``flush()`` but never commits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.util import greenlet_spawn


def async_url(url: str) -> str:
    """Accept ``postgres://``/``postgresql://`` URLs and use the asyncpg driver."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    return url


def sync_url(url: str) -> str:
    """The libpq form of a URL, for tools such as psql and pg_dump."""
    return async_url(url).replace("postgresql+asyncpg://", "postgresql://", 1)


def make_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    echo: bool = False,
    ping_after_idle: float | None = None,
) -> AsyncEngine:
    """An engine whose pool checks a connection before handing it out.

    By default every checkout pings. With ``ping_after_idle`` (seconds), only a connection
    that sat unused that long is pinged: a busy pool's connections have just proved
    themselves, and asyncpg's ping is three round trips (BEGIN, an empty query, ROLLBACK)
    that would otherwise come with every request.
    """
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=ping_after_idle is None,
        echo=echo,
    )
    if ping_after_idle is not None:
        _ping_when_idle(engine, ping_after_idle)
    return engine


_IDLE_SINCE = "herald_idle_since"


def _ping_when_idle(engine: AsyncEngine, seconds: float) -> None:
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < seconds:
            return
        try:
            dbapi_connection.ping()
        except Exception as exc:
            # The pool drops this connection and checks out another.
            raise DisconnectionError("connection lost while idle") from exc


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# Errors after which a connection's state is unknown (its link lost, or a statement cut off
# half-way by a cancellation or a timeout): such a connection never goes back to the pool.
_BROKEN = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    TimeoutError,
    asyncio.CancelledError,
)


@asynccontextmanager
async def direct_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A connection of ``engine``'s pool as asyncpg's own ``Connection``, for statements that
    skip SQLAlchemy (:mod:`herald_db.repositories.direct`).

    The pool's rules apply as for a session (its size, the ping of a connection idle too
    long), and so does the JSON codec its dialect installs. The connection goes back to the
    pool on exit; one that broke, or that is still inside a transaction, is closed instead.
    """
    proxied = await engine.raw_connection()
    conn: asyncpg.Connection = proxied.driver_connection
    broken = False
    try:
        yield conn
    except _BROKEN:
        broken = True
        raise
    finally:
        if broken or conn.is_closed() or conn.is_in_transaction():
            await greenlet_spawn(proxied.invalidate)
        else:
            await greenlet_spawn(proxied.close)
