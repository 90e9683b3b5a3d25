"""Fixtures for the publishing pipeline: a database of its own, the scheduler and the
publisher in-process (with an injectable clock) or as real processes."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from herald_common.crypto import SecretBox, generate_key
from herald_common.timeutil import ShiftedClock
from herald_db.migrate import upgrade
from herald_db.session import make_engine, make_sessionmaker
from herald_devrun.infra import free_port
from herald_platform_sim.testing import SimClient
from herald_post_api.app import create_app
from herald_post_api.settings import PostApiSettings
from herald_publisher.settings import PublisherSettings
from herald_publisher.worker import build_worker
from herald_scheduler.loop import Scheduler
from herald_scheduler.settings import SchedulerSettings
from tests.conftest import API_BASE, create_database, drop_database
from tests.dns import public_dns


class Clock(ShiftedClock):
    """Real time plus an offset the test moves forward (the database's clock moves with it
    wherever the services compare times in SQL)."""

    @property
    def offset(self) -> timedelta:
        return self.shift


@pytest.fixture(scope="module")
def pipeline_db(servers) -> Iterator[str]:
    pg, _ = servers
    name = f"herald_pipe_{uuid.uuid4().hex[:8]}"
    url = create_database(pg.url, name)
    try:
        upgrade(url)
        yield url
    finally:
        drop_database(pg.url, name)


@dataclass
class Pipeline:
    env: dict[str, str]
    api: httpx.AsyncClient
    sessionmaker: async_sessionmaker[AsyncSession]
    sim: SimClient
    box: SecretBox
    clock: Clock
    publisher_settings: PublisherSettings
    scheduler_settings: SchedulerSettings
    arq: ArqRedis
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    # -- in-process ------------------------------------------------------------------

    def scheduler(self) -> Scheduler:
        return Scheduler(self.scheduler_settings, self.sessionmaker, self.arq, clock=self.clock)

    async def work(self) -> None:
        """Run a burst publisher over whatever is queued."""
        worker = build_worker(
            self.publisher_settings, clock=self.clock, burst=True, resolver=public_dns
        )
        try:
            await worker.main()
        finally:
            await worker.close()

    async def step(self) -> None:
        await self.scheduler().run_once()
        await self.work()

    async def until(
        self, condition: Callable[[], Awaitable[bool]], *, seconds: float = 30, step: bool = True
    ) -> None:
        deadline = time.monotonic() + seconds
        while True:
            if step:
                await self.step()
            if await condition():
                return
            if time.monotonic() > deadline:
                raise AssertionError("condition not reached before the deadline")
            await asyncio.sleep(0.05)

    # -- real processes --------------------------------------------------------------

    def start(self, module: str, log: Path | None = None, **extra: str) -> subprocess.Popen[bytes]:
        """``python -m module`` with the pipeline's settings; its output into ``log``."""
        port = free_port()
        env = dict(os.environ)
        env.update(self.env)
        env.update(extra)
        env["HERALD_SCHEDULER_PORT"] = env["HERALD_PUBLISHER_PORT"] = str(port)
        env["HERALD_ANALYTICS_PORT"] = str(port)
        if log is None:
            proc = subprocess.Popen([sys.executable, "-m", module], env=env, start_new_session=True)
        else:
            with log.open("wb") as out:
                proc = subprocess.Popen(
                    [sys.executable, "-m", module],
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
        self.processes.append(proc)
        proc.health_port = port  # type: ignore[attr-defined]
        return proc

    async def ready(self, proc: subprocess.Popen[bytes], seconds: float = 30) -> None:
        url = f"http://127.0.0.1:{proc.health_port}/readyz"  # type: ignore[attr-defined]
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient() as http:
            while True:
                assert proc.poll() is None, "the process exited"
                try:
                    if (await http.get(url, timeout=1)).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, f"{url} not ready"
                await asyncio.sleep(0.05)

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.processes:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        self.processes.clear()


@pytest.fixture
async def pipeline(pipeline_db: str, redis_url: str, sim: SimClient) -> AsyncIterator[Pipeline]:
    await sim.reset()
    queue = f"herald-test:{uuid.uuid4().hex[:8]}"
    jwt_secret, key = secrets.token_urlsafe(48), generate_key()
    common: dict[str, Any] = {
        # Development mode: webhook receivers here are plain http on loopback. The secrets
        # are this run's own, so a test can switch to production.
        "environment": "dev",
        "jwt_secret": jwt_secret,
        "encryption_keys": key,
        "database_url": pipeline_db,
        "redis_url": redis_url,
        "queue_name": queue,
        "redis_prefix": queue,
        "lease_seconds": 5.0,
        "retry_delays_seconds": [0.2, 0.2, 0.2],
        # Checks of unknown outcomes after half a second (a late-landing test sets its own).
        "unknown_settle_seconds": 0.5,
        "webhook_backoff_seconds": [0.2],
        "webhook_allowed_hosts": "127.0.0.1",
        "oauth_redirect_base": API_BASE,
        **sim.platform_settings_kwargs(),
    }
    env = {
        "HERALD_ENVIRONMENT": "dev",
        "HERALD_JWT_SECRET": jwt_secret,
        "HERALD_ENCRYPTION_KEYS": key,
        "DATABASE_URL": pipeline_db,
        "REDIS_URL": redis_url,
        "HERALD_QUEUE_NAME": queue,
        "HERALD_REDIS_PREFIX": queue,
        "HERALD_LEASE_SECONDS": "5",
        "HERALD_RETRY_DELAYS_SECONDS": "[0.2, 0.2, 0.2]",
        "HERALD_UNKNOWN_SETTLE_SECONDS": "0.5",
        "HERALD_MAX_SLEEP_SECONDS": "1",
        # Small jobs, so several publishers share a run.
        "HERALD_JOB_BATCH": "10",
        "HERALD_LOG_LEVEL": "WARNING",
        **{f"HERALD_{k.upper()}": v for k, v in sim.platform_settings_kwargs().items()},
    }
    api_settings = PostApiSettings(**common)
    app = create_app(api_settings, resolver=public_dns)
    engine: AsyncEngine = make_engine(pipeline_db)
    arq = await create_pool(RedisSettings.from_dsn(redis_url))
    clock = Clock()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=API_BASE) as api:
            p = Pipeline(
                env=env,
                api=api,
                sessionmaker=make_sessionmaker(engine),
                sim=sim,
                box=SecretBox(api_settings.encryption_keys),
                clock=clock,
                publisher_settings=PublisherSettings(**common, max_jobs=20),
                scheduler_settings=SchedulerSettings(**common, job_batch=10),
                arq=arq,
            )
            try:
                yield p
            finally:
                p.stop_all()
                await arq.delete(queue)
                await arq.aclose()
                await engine.dispose()
