"""Metric collection: due fetches claimed, batched per (platform, account), stored.

One pass claims due fetches (``FOR UPDATE SKIP LOCKED``, leased by pushing ``next_at``
forward; committed before any request leaves; an account's due fetches in one claim, so
none is read in two requests where one would do), groups them by platform and account, and
fetches each group in as few requests as the platform allows (X: 100 ids per lookup;
Instagram and Facebook: 50 operations per Graph batch; LinkedIn: one call per post and
metric), each group inside the account's read limit, publishing first. Each group's
outcome is recorded in one transaction:

- figures: one snapshot per (post, platform) read, the fetches DONE;
- the post no longer exists on the platform: GONE, with every later fetch of it;
- a passing failure (5xx, timeout, an item the platform could not read): tried again
  after ``analytics_retry_delays_seconds``, then FAILED with the reason;
- a rate limit, or publishing going first: waits, without counting as an attempt;
- the token refused: the account is marked for reconnecting, as publishing does, and its
  fetches wait for the user to reconnect (up to ``analytics_reconnect_grace_days``).

A collector that dies mid-pass leaves its claimed fetches leased; once the lease runs out
any collector takes them again, and a fetch stores at most one snapshot.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_accounts import TokenStore, UnreadableCredentials
from herald_analytics.settings import AnalyticsSettings
from herald_common import metrics
from herald_common.crypto import SecretBox, SecretBoxError
from herald_common.logging import log_context
from herald_common.ratelimit import RateLimiter
from herald_db.enums import Platform
from herald_db.models import PublishingAccount
from herald_db.repositories import analytics, publishing
from herald_db.repositories.analytics import DueFetch, Figures
from herald_db.session import session_scope
from herald_platforms.base import AccountRef, Metrics, MetricsMissing, PlatformAdapter
from herald_platforms.errors import AuthFailed, Gone, PlatformError, RateLimited, Transient

log = logging.getLogger(__name__)

# Posts one request carries, per platform (LinkedIn: one call per post and metric).
PER_REQUEST = {
    Platform.TWITTER: 100,
    Platform.INSTAGRAM: 50,
    Platform.FACEBOOK: 25,
    Platform.LINKEDIN: 1,
}
CALLS_PER_POST = {Platform.LINKEDIN: 4}
# Requests one group sends at most before it takes read slots again.
REQUESTS_PER_CHUNK = 10
BACKFILL = "published-results"
BACKFILL_CHUNK = 5000


def requests_for(platform: Platform, posts: int) -> int:
    return math.ceil(posts / PER_REQUEST[platform]) * CALLS_PER_POST.get(platform, 1)


@dataclass
class Stats:
    passes: int = 0
    claimed: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    batches: int = 0


@dataclass
class _Outcome:
    """What one group's fetch came to, recorded in one transaction."""

    figures: list[Figures] = field(default_factory=list)
    gone: dict[uuid.UUID, str] = field(default_factory=dict)
    # (fetch ids, when, reason, counts as an attempt, failure class)
    retry: list[tuple[list[int], datetime, str, bool, str]] = field(default_factory=list)
    failed: list[tuple[list[int], str]] = field(default_factory=list)
    reconnect: tuple[uuid.UUID, uuid.UUID, Platform, str] | None = None


class Collector:
    def __init__(
        self,
        settings: AnalyticsSettings,
        sessionmaker: async_sessionmaker[AsyncSession],
        http: httpx.AsyncClient,
        box: SecretBox,
        limiter: RateLimiter,
        adapters: dict[Platform, PlatformAdapter],
        *,
        clock: Callable[[], datetime],
    ) -> None:
        self.settings = settings
        self.sessionmaker = sessionmaker
        self.http = http
        self.box = box
        self.limiter = limiter
        self.adapters = adapters
        self.clock = clock
        self.tokens = TokenStore(sessionmaker, box)
        self.stats = Stats()
        self._last_pattern: datetime | None = None
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Look for due fetches now rather than at the end of the current sleep."""
        self._wake.set()

    # -- one pass ---------------------------------------------------------------------

    async def run_once(self) -> int:
        """Claim and fetch everything due now; returns how many fetches were handled."""
        total = 0
        lease = timedelta(seconds=self.settings.analytics_lease_seconds)
        while True:
            now = self.clock()
            async with session_scope(self.sessionmaker) as session:
                due = await analytics.claim_due(
                    session, now=now, limit=self.settings.analytics_claim_batch, lease=lease
                )
            if due:
                self.stats.claimed += len(due)
                await self._fetch_all(due)
                total += len(due)
            if len(due) < self.settings.analytics_claim_batch:
                break
        self.stats.passes += 1
        return total

    async def _fetch_all(self, due: list[DueFetch]) -> None:
        groups: dict[tuple[Platform, uuid.UUID | None], list[DueFetch]] = defaultdict(list)
        for f in due:
            groups[(f.platform, f.account_id)].append(f)
        accounts = await self._accounts({a for _, a in groups if a is not None})
        sem = asyncio.Semaphore(max(1, self.settings.analytics_concurrency))

        async def one(
            platform: Platform, account_id: uuid.UUID | None, rows: list[DueFetch]
        ) -> None:
            async with sem:
                try:
                    with log_context(platform=platform.value):
                        await self._group(platform, accounts.get(account_id), rows)
                except Exception:
                    # A fault of ours: the lease runs out and the fetches are taken again.
                    log.exception("fetching %d %s metrics failed", len(rows), platform.value)

        await asyncio.gather(*(one(p, a, rows) for (p, a), rows in groups.items()))

    async def _accounts(self, ids: set[uuid.UUID]) -> dict[uuid.UUID | None, PublishingAccount]:
        if not ids:
            return {}
        async with session_scope(self.sessionmaker) as session:
            found = await publishing.accounts_by_id(session, ids)
            return {account_id: account for account_id, account in found.items()}

    # -- one (platform, account) ------------------------------------------------------

    async def _group(
        self, platform: Platform, account: PublishingAccount | None, rows: list[DueFetch]
    ) -> None:
        now = self.clock()
        out = _Outcome()
        by_result: dict[uuid.UUID, list[DueFetch]] = defaultdict(list)
        for f in rows:
            by_result[f.result_id].append(f)
        usable: dict[str, list[DueFetch]] = {}
        for fetches in by_result.values():
            first = fetches[0]
            if not first.external_post_id:
                out.failed.append(([f.id for f in fetches], "The platform gave no post id"))
            else:
                usable[first.external_post_id] = fetches
        blocked = self._blocked(account, now)
        if blocked is not None:
            reason, hold = blocked
            for fetches in usable.values():
                self._hold_or_fail(out, fetches, now, reason, hold)
        elif usable:
            assert account is not None
            ids = list(usable)
            size = PER_REQUEST[platform] * max(
                1, REQUESTS_PER_CHUNK // CALLS_PER_POST.get(platform, 1)
            )
            try:
                ref = self.tokens.account(account)
            except UnreadableCredentials as exc:
                log.error("credentials of account %s cannot be decrypted", account.id)
                out.reconnect = (account.id, account.user_id, platform, exc.reason)
                for fetches in usable.values():
                    self._hold_or_fail(out, fetches, now, exc.reason, True)
            else:
                for start in range(0, len(ids), size):
                    await self._chunk(
                        platform, account, ref, ids[start : start + size], usable, out
                    )
        await self._record(out, now, platform)

    def _blocked(self, account: PublishingAccount | None, now: datetime) -> tuple[str, bool] | None:
        """Why this account cannot be read now, and whether to wait for the user."""
        if account is None:
            return "The account this post was published with is no longer connected", False
        if not account.is_active:
            return "The account was disconnected", False
        if account.needs_reconnect:
            return (
                f"The account needs reconnecting ({account.reconnect_reason or 'access ended'})",
                True,
            )
        return None

    def _hold_or_fail(
        self, out: _Outcome, fetches: list[DueFetch], now: datetime, reason: str, hold: bool
    ) -> None:
        ids = [f.id for f in fetches]
        grace = timedelta(days=self.settings.analytics_reconnect_grace_days)
        if hold and min(f.due_at for f in fetches) + grace > now:
            out.retry.append((ids, now + timedelta(hours=1), reason, False, "auth"))
        else:
            out.failed.append((ids, reason))

    async def _chunk(
        self,
        platform: Platform,
        account: PublishingAccount,
        ref: AccountRef,
        ids: list[str],
        usable: dict[str, list[DueFetch]],
        out: _Outcome,
    ) -> None:
        """One chunk of a group: a read slot, the adapter's batch, each item's outcome. A
        token the adapter renews on the way is stored by the account's keeper at once."""
        now = self.clock()
        fetch_ids = [f.id for i in ids for f in usable[i]]
        limit, window = self.settings.metrics_rate_limit(platform.value)
        post_limit, post_window = self.settings.rate_limit(platform.value)
        reserve = max(1, math.ceil(post_limit * self.settings.analytics_publish_reserve))
        wait = await self.limiter.acquire_read(
            platform.value,
            str(account.id),
            cost=requests_for(platform, len(ids)),
            limit=limit,
            window=window,
            posting=(post_limit, post_window),
            reserve=reserve,
            now=now.timestamp(),
        )
        if wait > 0:
            out.retry.append(
                (
                    fetch_ids,
                    now + timedelta(seconds=wait),
                    "Waiting for the read limit",
                    False,
                    "rate_limited",
                )
            )
            return
        adapter = self.adapters[platform]
        started = time.perf_counter()
        try:
            items = await adapter.fetch_metrics(self.http, ref, ids)
        except RateLimited as exc:
            when = now + timedelta(seconds=exc.retry_after or 60.0)
            out.retry.append((fetch_ids, when, exc.message, False, "rate_limited"))
            return
        except AuthFailed as exc:
            out.reconnect = (account.id, account.user_id, platform, exc.message)
            for i in ids:
                self._hold_or_fail(out, usable[i], now, exc.message, True)
            return
        except Transient as exc:
            for i in ids:
                self._transient(out, usable[i], now, exc.message)
            return
        except PlatformError as exc:
            out.failed.append((fetch_ids, exc.message))
            return
        finally:
            metrics.ANALYTICS_FETCH_SECONDS.labels(platform.value).observe(
                time.perf_counter() - started
            )
        self.stats.batches += 1
        fetched_at = self.clock()
        for item in items:
            fetches = usable.get(item.external_post_id)
            if fetches is None:
                continue
            if isinstance(item, Metrics):
                out.figures.append(_figures(fetches, item, fetched_at))
            elif isinstance(item, MetricsMissing):
                self._missing(out, fetches, item.error, now)
        answered = {item.external_post_id for item in items}
        for i in ids:
            if i not in answered:  # never silently: an item the adapter did not answer
                self._transient(out, usable[i], now, "The platform's answer left this post out")

    def _missing(
        self, out: _Outcome, fetches: list[DueFetch], error: PlatformError, now: datetime
    ) -> None:
        if isinstance(error, Gone):
            out.gone[fetches[0].result_id] = f"Deleted on the platform: {error.message}"
        elif isinstance(error, RateLimited):
            when = now + timedelta(seconds=error.retry_after or 60.0)
            out.retry.append(([f.id for f in fetches], when, error.message, False, "rate_limited"))
        elif isinstance(error, Transient):
            self._transient(out, fetches, now, error.message)
        else:
            out.failed.append(([f.id for f in fetches], error.message))

    def _transient(
        self, out: _Outcome, fetches: list[DueFetch], now: datetime, reason: str
    ) -> None:
        delays = self.settings.analytics_retry_delays_seconds
        attempts = max(f.attempts for f in fetches)
        ids = [f.id for f in fetches]
        if attempts <= len(delays):
            when = now + timedelta(seconds=delays[attempts - 1])
            out.retry.append((ids, when, reason, True, "transient"))
        else:
            out.failed.append((ids, f"Gave up after {attempts} attempts: {reason}"))

    async def _record(self, out: _Outcome, now: datetime, platform: Platform) -> None:
        async with session_scope(self.sessionmaker) as session:
            await analytics.store_figures(session, out.figures, now=now)
            for result_id, reason in out.gone.items():
                await analytics.mark_gone(session, [result_id], now=now, reason=reason)
            for ids, when, reason, counts, _ in out.retry:
                await analytics.retry_at(session, ids, when, reason, count_attempt=counts)
            for ids, reason in out.failed:
                await analytics.fail(session, ids, now=now, reason=reason)
            if out.reconnect is not None:
                account_id, user_id, platform, reason = out.reconnect
                await publishing.mark_needs_reconnect(
                    session, account_id, user_id, platform, reason, now=now
                )
        self._count(out, platform)

    def _count(self, out: _Outcome, platform: Platform) -> None:
        """Fetch outcomes, per platform: succeeded, or the failure class (``permanent``
        covers posts deleted on the platform and fetches given up)."""

        def bump(outcome: str, n: int) -> None:
            if n:
                self.stats.outcomes[outcome] += n
                metrics.ANALYTICS_FETCHES.labels(platform.value, outcome).inc(n)

        bump("succeeded", sum(len(f.fetch_ids) for f in out.figures))
        bump("permanent", len(out.gone) + sum(len(ids) for ids, _ in out.failed))
        for ids, *_, kind in out.retry:
            bump(kind, len(ids))

    # -- housekeeping -----------------------------------------------------------------

    async def backfill(self, *, chunk: int = BACKFILL_CHUNK) -> int:
        """Plan the fetches still due for posts published before collection ran (once per
        database, resumable, in chunks, logging its progress). Returns how many it planned."""
        since = self.clock() - timedelta(days=self.settings.analytics_backfill_days)
        total = 0
        seen = 0
        while True:
            now = self.clock()
            async with session_scope(self.sessionmaker) as session:
                cursor, finished = await analytics.backfill_state(session, BACKFILL, now)
                if finished:
                    break
                step = await analytics.backfill_chunk(
                    session, after=cursor, limit=chunk, now=now, since=since
                )
                done = step.seen < chunk
                await analytics.backfill_advance(
                    session,
                    BACKFILL,
                    step.last_id or cursor,
                    step.planned,
                    now if done else None,
                )
            total += step.planned
            seen += step.seen
            if seen:
                log.info(
                    "planning fetches for earlier posts: %d results read, %d fetches planned",
                    seen,
                    total,
                )
            if done:
                break
        return total

    async def refresh_pattern(self, *, force: bool = False) -> bool:
        now = self.clock()
        every = timedelta(seconds=self.settings.analytics_pattern_refresh_seconds)
        if not force and self._last_pattern is not None and now - self._last_pattern < every:
            return False
        self._last_pattern = now
        async with session_scope(self.sessionmaker) as session:
            await analytics.refresh_pattern(session, now=now)
        return True

    async def sleep_for(self) -> float:
        async with session_scope(self.sessionmaker) as session:
            nxt = await analytics.next_due_at(session)
        limit = self.settings.analytics_max_sleep_seconds
        if nxt is None:
            return limit
        return min(limit, max(0.0, (nxt - self.clock()).total_seconds()))

    async def run(self, stop: asyncio.Event) -> None:
        await self.backfill()
        while not stop.is_set():
            try:
                await self.run_once()
                await self.refresh_pattern()
                delay = await self.sleep_for()
            except (OSError, ConnectionError, SecretBoxError) as exc:
                log.warning("collection pass failed (%s); trying again shortly", exc)
                delay = 1.0
            except Exception:
                log.exception("collection pass failed; trying again shortly")
                delay = 1.0
            await self._sleep(stop, delay)

    async def _sleep(self, stop: asyncio.Event, delay: float) -> None:
        """Sleep ``delay`` seconds, or less when stopped or woken."""
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._wake.wait())]
        try:
            await asyncio.wait(waits, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
            self._wake.clear()


def _figures(fetches: Sequence[DueFetch], item: Metrics, fetched_at: datetime) -> Figures:
    first = fetches[0]
    return Figures(
        fetch_ids=tuple(f.id for f in fetches),
        result_id=first.result_id,
        post_id=first.post_id,
        user_id=first.user_id,
        platform=first.platform,
        published_at=first.published_at or fetched_at,
        likes=item.likes,
        shares=item.shares,
        comments=item.comments,
        impressions=item.impressions,
        fetched_at=fetched_at,
    )
