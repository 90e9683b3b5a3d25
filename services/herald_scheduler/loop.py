"""The scheduling loop.

Each pass claims, in this order, due posts, due retries, posts whose lease ran out and due
webhook deliveries, commits, and only then enqueues their jobs (the commit made them true;
if the enqueue is lost, the lease runs out and the work is handed out again). Then it
sleeps until the earliest thing comes due, never longer than ``max_sleep_seconds``, and
wakes at once when Postgres notifies ``herald_due`` (a post created or rescheduled, an
event to deliver).

The listening connection is watched: when it is lost (Postgres restarted, the backend
terminated) the loop wakes, connects and LISTENs again, so a restart never leaves the
scheduler deaf and waiting for its longest sleep.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import asyncpg
from arq.connections import ArqRedis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_common import metrics
from herald_common.jobs import PUBLISH_JOB, publish_job_id
from herald_common.timeutil import Clock, shift_of, utcnow
from herald_db.enums import Platform
from herald_db.repositories import accounts, claims
from herald_db.repositories.posts import DUE_CHANNEL
from herald_db.session import session_scope, sync_url
from herald_scheduler.settings import SchedulerSettings

log = logging.getLogger(__name__)
# How the listening connection shows in pg_stat_activity.
LISTENER_APPLICATION_NAME = "herald-scheduler-listen"
# While the listener cannot be re-established, look again this often.
RELISTEN_SECONDS = 1.0

Claim = Callable[..., Awaitable[list[claims.Claimed]]]


@dataclass
class Stats:
    passes: int = 0
    posts_claimed: int = 0
    retries_claimed: int = 0
    leases_reclaimed: int = 0
    deliveries_claimed: int = 0
    jobs_enqueued: int = 0
    # Times the scheduler connected and LISTENed (more than one after a lost connection).
    listens: int = 0
    last_pass_at: datetime | None = None
    extra: dict[str, int] = field(default_factory=dict)


class Scheduler:
    def __init__(
        self,
        settings: SchedulerSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        arq: ArqRedis,
        *,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.arq = arq
        self.clock = clock
        self.stats = Stats()
        self._wake = asyncio.Event()
        self._listener: asyncpg.Connection | None = None
        self._last_expiry_check: datetime | None = None

    # -- one pass ---------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim and enqueue everything due now; returns how many items were handed out."""
        lease = timedelta(seconds=self.settings.lease_seconds)
        total = 0
        for claim, counter in (
            (claims.claim_due_posts, "posts_claimed"),
            (claims.claim_due_retries, "retries_claimed"),
            (claims.reclaim_expired, "leases_reclaimed"),
        ):
            while True:
                async with session_scope(self.sessionmaker) as session:
                    got = await claim(
                        session,
                        limit=self.settings.claim_batch,
                        lease=lease,
                        shift=shift_of(self.clock),
                    )
                if got:
                    await self._enqueue_posts(got)
                    setattr(self.stats, counter, getattr(self.stats, counter) + len(got))
                    metrics.CLAIMED.labels(counter.removesuffix("_claimed")).inc(len(got))
                    total += len(got)
                if len(got) < self.settings.claim_batch:
                    break
        total += await self._relay_deliveries()
        await self._warn_expiring()
        self.stats.passes += 1
        self.stats.last_pass_at = self.clock()
        return total

    async def _enqueue_posts(self, got: list[claims.Claimed]) -> None:
        size = max(1, self.settings.job_batch)
        batches = [got[i : i + size] for i in range(0, len(got), size)]
        await asyncio.gather(*(self._enqueue_batch(b) for b in batches))

    async def _enqueue_batch(self, batch: list[claims.Claimed]) -> None:
        job_id = publish_job_id([(c.post_id, c.claim_seq) for c in batch])
        await self.arq.enqueue_job(
            PUBLISH_JOB,
            [str(c.post_id) for c in batch],
            _job_id=job_id,
            _queue_name=self.settings.queue_name,
        )
        self.stats.jobs_enqueued += 1
        metrics.JOBS_ENQUEUED.inc()

    async def _relay_deliveries(self) -> int:
        try:
            from herald_common.jobs import DELIVER_JOB, deliver_job_id
            from herald_db.repositories.webhooks import claim_due_deliveries
        except ImportError:  # pragma: no cover - webhooks not wired yet
            return 0
        async with session_scope(self.sessionmaker) as session:
            due = await claim_due_deliveries(
                session,
                shift=shift_of(self.clock),
                limit=self.settings.claim_batch,
                lease=timedelta(seconds=self.settings.lease_seconds),
            )
        for delivery_id, attempt in due:
            await self.arq.enqueue_job(
                DELIVER_JOB,
                str(delivery_id),
                attempt,
                _job_id=deliver_job_id(delivery_id, attempt),
                _queue_name=self.settings.queue_name,
            )
        self.stats.deliveries_claimed += len(due)
        return len(due)

    async def _warn_expiring(self) -> None:
        now = self.clock()
        every = timedelta(seconds=self.settings.expiry_check_seconds)
        if self._last_expiry_check is not None and now - self._last_expiry_check < every:
            return
        self._last_expiry_check = now
        async with session_scope(self.sessionmaker) as session:
            await accounts.warn_expiring(
                session, now=now, within=timedelta(days=self.settings.expiry_warning_days)
            )

    async def refresh_gauges(self) -> None:
        """Retries pending and the arq queue's depth, for a /metrics scrape."""
        async with session_scope(self.sessionmaker) as session:
            waiting = await claims.retries_waiting(session)
        for platform in Platform:
            metrics.RETRIES_PENDING.labels(platform.value).set(waiting.get(platform.value, 0))
        depth = await self.arq.zcard(self.settings.queue_name)
        metrics.QUEUE_DEPTH.labels(self.settings.queue_name).set(depth)

    # -- the loop ---------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        await self._listen()
        try:
            while not stop.is_set():
                # Cleared before the pass: a NOTIFY that lands during it wakes the next one.
                self._wake.clear()
                if not self.listening:
                    # Lost with Postgres: listen again before the pass, so no NOTIFY sent
                    # after this pass's claims goes unheard.
                    await self._listen()
                try:
                    await self.run_once()
                    delay = await self._sleep_for()
                except (OSError, asyncpg.PostgresError, ConnectionError) as exc:
                    log.warning("scheduler pass failed (%s); trying again shortly", exc)
                    delay = 1.0
                    await self._listen()
                except Exception:
                    log.exception("scheduler pass failed; trying again shortly")
                    delay = 1.0
                if not self.listening:
                    delay = min(delay, RELISTEN_SECONDS)
                waiters = [asyncio.create_task(self._wake.wait()), asyncio.create_task(stop.wait())]
                await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
                for w in waiters:
                    w.cancel()
        finally:
            await self._unlisten()

    async def _sleep_for(self) -> float:
        async with session_scope(self.sessionmaker) as session:
            wait = await claims.seconds_until_next_wake(session, shift=shift_of(self.clock))
        limit = self.settings.max_sleep_seconds
        if wait is None:
            return limit
        return min(limit, max(0.0, wait))

    @property
    def listening(self) -> bool:
        return self._listener is not None and not self._listener.is_closed()

    async def _listen(self) -> None:
        await self._unlisten()
        try:
            conn = await asyncpg.connect(
                sync_url(self.settings.database_url),
                server_settings={"application_name": LISTENER_APPLICATION_NAME},
            )
            conn.add_termination_listener(self._on_listener_lost)
            await conn.add_listener(DUE_CHANNEL, self._on_notify)
            self._listener = conn
            self.stats.listens += 1
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("cannot LISTEN for due posts (%s); trying again shortly", exc)

    async def _unlisten(self) -> None:
        conn, self._listener = self._listener, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close()

    def _on_listener_lost(self, conn: object) -> None:
        if conn is self._listener:
            log.warning("the LISTEN connection to Postgres was lost; listening again")
            self._wake.set()

    def _on_notify(self, conn: object, pid: int, channel: str, payload: str) -> None:
        # Any change that may bring the next due time closer: look again now.
        self._wake.set()
