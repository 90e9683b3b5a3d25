"""The API's pool pings only connections that sat idle, and still replaces a dead one."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

from herald_db.session import make_engine


async def test_a_connection_lost_while_idle_is_replaced_before_use(database_url: str) -> None:
    # A threshold of 0: every connection that has been checked in once counts as idle.
    engine = make_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle=0.0)
    admin = make_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            first = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        async with admin.begin() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        async with engine.connect() as conn:
            second = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        assert second != first
    finally:
        await engine.dispose()
        await admin.dispose()


@pytest.mark.parametrize(("ping_after_idle", "pings"), [(3600.0, 0), (None, 1)])
async def test_only_idle_connections_are_pinged(
    database_url: str, monkeypatch: pytest.MonkeyPatch, ping_after_idle: float | None, pings: int
) -> None:
    seen: list[object] = []
    original = AsyncAdapt_asyncpg_connection.ping

    def counted(self: AsyncAdapt_asyncpg_connection) -> None:
        seen.append(self)
        original(self)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "ping", counted)
    engine = make_engine(database_url, pool_size=1, max_overflow=0, ping_after_idle=ping_after_idle)
    try:
        for _ in range(2):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        # The second checkout reuses the connection the first just gave back.
        assert len(seen) == pings
    finally:
        await engine.dispose()
