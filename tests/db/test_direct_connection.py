"""asyncpg's own connection from the engine's pool: back to the pool after use, closed
instead when it is left inside a transaction or broke."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import text

from herald_db.session import direct_connection, make_engine

PID = "SELECT pg_backend_pid()"


@pytest.fixture
async def engine(database_url: str):  # type: ignore[no-untyped-def]
    eng = make_engine(database_url, pool_size=1, max_overflow=0)
    yield eng
    await eng.dispose()


async def test_the_connection_goes_back_to_the_pool(engine) -> None:
    async with direct_connection(engine) as conn:
        first = await conn.fetchval(PID)
    async with direct_connection(engine) as conn:
        assert await conn.fetchval(PID) == first
    # SQLAlchemy's own checkouts get the same connection.
    async with engine.connect() as c:
        assert (await c.execute(text(PID))).scalar_one() == first


async def test_a_connection_left_in_a_transaction_is_closed(engine) -> None:
    async with direct_connection(engine) as conn:
        first = await conn.fetchval(PID)
        await conn.transaction().start()
        await conn.execute("CREATE TEMP TABLE left_open (x int)")
    async with direct_connection(engine) as conn:
        assert not conn.is_in_transaction()
        assert await conn.fetchval(PID) != first
        assert await conn.fetchval("SELECT to_regclass('left_open')") is None


async def test_an_error_inside_still_gives_the_connection_back(engine) -> None:
    seen: list[int] = []

    async def failing() -> None:
        async with direct_connection(engine) as conn:
            seen.append(await conn.fetchval(PID))
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError, match="handler failed"):
        await failing()
    # One connection in the pool: this would wait forever had it not come back.
    async with direct_connection(engine) as conn:
        assert await conn.fetchval(PID) == seen[0]


async def test_a_broken_connection_is_replaced(engine, database_url: str) -> None:
    admin = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with direct_connection(engine) as conn:
            first = await conn.fetchval(PID)
            async with admin.begin() as a:
                await a.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            with pytest.raises(
                (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError)
            ):
                await conn.fetchval(PID)
        async with direct_connection(engine) as conn:
            assert await conn.fetchval(PID) != first
    finally:
        await admin.dispose()
