"""Migrations go up from empty, all the way down, and up again; the models match them."""

from __future__ import annotations

import asyncio
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from herald_db.base import Base
from herald_db.migrate import downgrade, upgrade
from herald_db.session import make_engine
from tests.conftest import create_database, drop_database


def _tables(url: str) -> set[str]:
    async def go() -> set[str]:
        engine = make_engine(url)
        async with engine.connect() as conn:
            names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        return names

    return asyncio.run(go())


def _diff(url: str) -> list:
    async def go() -> list:
        engine = make_engine(url)
        async with engine.connect() as conn:
            diff = await conn.run_sync(
                lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
            )
            await conn.execute(text("SELECT 1"))
        await engine.dispose()
        return diff

    return asyncio.run(go())


def test_upgrade_downgrade_upgrade(servers):
    pg, _ = servers
    name = f"herald_mig_{uuid.uuid4().hex[:8]}"
    url = create_database(pg.url, name)
    try:
        upgrade(url)
        assert {"posts", "users", "post_platform_results"} <= _tables(url)
        assert _diff(url) == []
        downgrade(url, "base")
        assert _tables(url) <= {"alembic_version"}
        upgrade(url)
        assert "posts" in _tables(url)
    finally:
        drop_database(pg.url, name)
