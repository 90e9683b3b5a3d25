"""Shared fixtures: real Postgres (a fresh database per run), real Redis, the API over ASGI.

Postgres and Redis come from DATABASE_URL / REDIS_URL, else the local servers, else embedded
ones (HERALD_TEST_EMBEDDED=1 forces those). The test database is created at the start of the
run, migrated with ``alembic upgrade head`` and dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from herald_common.crypto import SecretBox, generate_key
from herald_db.migrate import upgrade
from herald_db.session import make_engine, make_sessionmaker, sync_url
from herald_devrun.infra import Server, resolve_postgres, resolve_redis, with_database
from herald_platform_sim.testing import SimClient
from herald_post_api.app import create_app
from herald_post_api.settings import PostApiSettings
from tests.dns import public_dns

ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["tests.plugins.sim"] if (ROOT / "tests" / "plugins" / "sim.py").exists() else []
RUN_ID = uuid.uuid4().hex[:10]
API_BASE = "http://api.test"


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[Server, Server]]:
    embedded = os.environ.get("HERALD_TEST_EMBEDDED") == "1"
    data = ROOT / ".data" / "test"
    pg = resolve_postgres(data, embedded=embedded)
    rd = resolve_redis(data, embedded=embedded)
    yield pg, rd
    pg.stop()
    rd.stop()


async def _admin(url: str, sql: str) -> None:
    conn = await asyncpg.connect(sync_url(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def create_database(server_url: str, name: str) -> str:
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    return with_database(server_url, name)


def drop_database(server_url: str, name: str) -> None:
    asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def database_url(servers: tuple[Server, Server]) -> Iterator[str]:
    pg, _ = servers
    name = f"herald_test_{RUN_ID}"
    url = create_database(pg.url, name)
    try:
        upgrade(url)
        yield url
    finally:
        drop_database(pg.url, name)


@pytest.fixture(scope="session")
def redis_url(servers: tuple[Server, Server]) -> str:
    return servers[1].url


@pytest.fixture(scope="session")
def settings(database_url: str, redis_url: str, sim: SimClient) -> PostApiSettings:
    # Production mode with secrets of this run, as an install is meant to run.
    return PostApiSettings(
        environment="production",
        jwt_secret=secrets.token_urlsafe(48),
        encryption_keys=generate_key(),
        redis_prefix=f"herald-test-{RUN_ID}",
        database_url=database_url,
        redis_url=redis_url,
        oauth_redirect_base=API_BASE,
        **sim.platform_settings_kwargs(),
    )


@pytest.fixture(scope="session")
def box(settings: PostApiSettings) -> SecretBox:
    return SecretBox(settings.encryption_keys)


@pytest.fixture(scope="session")
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = make_engine(database_url)
    yield eng
    await eng.dispose()


@pytest.fixture(scope="session")
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_sessionmaker(engine)


@pytest.fixture(scope="session")
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    yield client
    await client.aclose()


@pytest.fixture(scope="session")
async def app(settings: PostApiSettings):  # type: ignore[no-untyped-def]
    application = create_app(settings, resolver=public_dns)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=API_BASE) as c:
        yield c
