"""The publish job: a few claimed posts, fanned out to their platforms.

Three steps, so a (post, platform) pair goes out at most once:

1. *Prepare* (one transaction): lock the results that need work, take a rate-limit slot
   for each, mark them SENDING with a send lease and write an attempt row. Committed
   before any request leaves.
2. *Send* (no transaction): every platform of every post at once with ``asyncio.gather``.
   A result whose outcome is unknown (``unknown_since``: its worker died after sending, or
   the answer never came) asks the platform first and sends only if the platform answers
   that the post is not there; a check that fails keeps it unknown and sends nothing.
3. *Record*: each outcome onto its result and attempt as soon as it exists (the sends
   that finished together share a transaction), then the post's own status,
   notifications and webhook events. Every send has a deadline below the job's timeout,
   so one slow send cannot make arq cancel the job and throw the others' outcomes away.
   (Tokens renewed during step 2 are already stored: the account's keeper writes them
   the moment the platform answers.)

Step 1 marks each result it sends for as unknown since the attempt's start, and step 3
clears that only for an outcome that is certain. If the worker dies between 1 and 3, the
post's lease runs out, the scheduler hands it out again, and step 1 finds the results still
SENDING past their lease and unknown: their attempts are closed as unknown (each was
counted when it began), and they are checked, not resent; when even the check after the
last allowed attempt died with its job, the platform fails with a reason instead. No check
runs sooner than ``unknown_settle_seconds`` after the attempt in question started (a
request that timed out can still land); until then the result waits, whatever brought it
back (a retry delay, a rate-limit wait, a reconnected account, ``POST
/v1/posts/{id}/retry``).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_accounts import StoredTokens, TokenStore, UnreadableCredentials
from herald_common import metrics
from herald_common.crypto import SecretBox
from herald_common.logging import log_context
from herald_common.ratelimit import RateLimiter
from herald_common.timeutil import shift_of
from herald_db.enums import AttemptOutcome, Platform, ResultStatus
from herald_db.models import PostPlatformResult, PublishAttempt, PublishingAccount
from herald_db.repositories import publishing
from herald_db.session import session_scope
from herald_platforms.base import AccountRef, Found, Lookup, PlatformAdapter, PostPayload
from herald_platforms.errors import (
    AuthFailed,
    OutcomeUnknown,
    PlatformError,
    QuotaReached,
    RateLimited,
    Rejected,
    Transient,
    Unverifiable,
    UsageCapped,
)
from herald_publisher.outcome import Outcome, Verdict, decide
from herald_publisher.settings import PublisherSettings

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Work:
    """One (post, platform) to send in this job."""

    result_id: uuid.UUID
    attempt_id: int
    attempt_no: int
    post_id: uuid.UUID
    user_id: uuid.UUID
    platform: Platform
    account_id: uuid.UUID
    external_account_id: str
    tokens: StoredTokens
    payload: PostPayload
    scheduled_at: datetime | None
    started_at: datetime
    # Set when an earlier attempt's outcome is unknown: check before sending.
    unknown_since: datetime | None
    pending_ref: str | None
    last_error: str | None
    exclude: frozenset[str] = frozenset()
    outcome: Outcome | None = None
    capped: UsageCapped | None = None
    # What stands after this attempt: unknown since when (None: certain), and its signal.
    unknown_after: datetime | None = None
    ref_after: str | None = None
    quota_wait: bool = False
    # Set once the publish itself has begun (past any check).
    publishing: bool = False
    # The check before sending did not answer: no attempt is spent, it is made again.
    check_failed: bool = False


@dataclass(slots=True)
class Deps:
    sessionmaker: async_sessionmaker[AsyncSession]
    http: httpx.AsyncClient
    box: SecretBox
    limiter: RateLimiter
    adapters: dict[Platform, PlatformAdapter]
    settings: PublisherSettings
    clock: Callable[[], datetime]
    worker_name: str = "publisher"
    tokens: TokenStore = field(init=False)

    def __post_init__(self) -> None:
        self.tokens = TokenStore(self.sessionmaker, self.box)


async def publish_posts(deps: Deps, post_ids: Sequence[uuid.UUID]) -> dict[str, int]:
    works = await prepare(deps, post_ids)
    counts: dict[str, int] = {}
    if works:
        await send_all(deps, works, counts)
    await settle(deps, post_ids)
    return counts


async def send_all(deps: Deps, works: list[Work], counts: dict[str, int]) -> None:
    """Send every work at once and record outcomes as they come: whatever finished is
    written, in one transaction per batch of finished sends, while the rest are still out,
    so a job that dies later keeps them."""
    tasks = {asyncio.create_task(send(deps, w)): w for w in works}
    try:
        waiting: set[asyncio.Task[None]] = set(tasks)
        while waiting:
            done, waiting = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for kind, n in (await record(deps, [tasks[t] for t in done])).items():
                counts[kind] = counts.get(kind, 0) + n
    finally:
        for task in tasks:
            task.cancel()


# -- 1. prepare ---------------------------------------------------------------------------


async def prepare(deps: Deps, post_ids: Sequence[uuid.UUID]) -> list[Work]:
    lease = timedelta(seconds=deps.settings.lease_seconds)
    works: list[Work] = []
    pending: list[PublishAttempt] = []
    keepers: dict[uuid.UUID, StoredTokens | None] = {}
    async with session_scope(deps.sessionmaker) as session:
        # Leases are written and compared on the database's clock, not this host's.
        now = await publishing.database_now(session, shift=shift_of(deps.clock))
        rows = await publishing.lock_results_needing_work(session, post_ids, now=now)
        if not rows:
            return []
        max_attempts = len(deps.settings.retry_delays_seconds) + 1
        abandoned = [r for r in rows if r.status is ResultStatus.SENDING]
        if abandoned:
            # Their job ended (killed, or cancelled past its timeout) before recording. Each
            # of those attempts was counted when it began; its outcome is unknown.
            began = await publishing.close_abandoned_attempts(
                session, [r.id for r in abandoned], now=now, error=ABANDONED
            )
            check_window = timedelta(seconds=deps.settings.unknown_check_seconds)
            for result in abandoned:
                start = began.get(result.id)
                if (
                    start is not None
                    and result.unknown_since is not None
                    and result.unknown_since < start
                ):
                    # A check that never got as far as sending (a send moves unknown_since
                    # to its own start first): it spends no attempt.
                    result.attempts -= 1
                # Past the allowed attempts only a check is made; when the checks have not
                # answered for the whole window, give up rather than hand the post out
                # forever.
                if result.attempts > max_attempts or (
                    result.unknown_since is not None and now - result.unknown_since > check_window
                ):
                    _give_up_unknown(result, now)
            rows = [r for r in rows if r.status is not ResultStatus.FAILED]
        posts = await publishing.posts_by_id(session, {r.post_id for r in rows})
        bound = await publishing.accounts_by_id(
            session, {r.account_id for r in rows if r.account_id is not None}
        )
        accounts = await publishing.active_accounts(
            session, {(posts[r.post_id].user_id, r.platform) for r in rows if r.account_id is None}
        )
        # Accounts first; then one rate-limit round trip for every result that can go.
        ready: list[tuple[PostPlatformResult, PublishingAccount]] = []
        for result in rows:
            # A result stays with the account it was bound to when claimed, so every
            # attempt and every check reads the account that may already hold the post.
            account = (
                bound.get(result.account_id)
                if result.account_id is not None
                else accounts.get((posts[result.post_id].user_id, Platform(result.platform)))
            )
            if account is None or account.needs_reconnect or not account.is_active:
                reason = None
                if account is not None and not account.is_active:
                    reason = "it was disconnected"
                _fail_without_sending(result, account, now, reason)
                continue
            if account.id not in keepers:
                keepers[account.id] = await _open(session, deps, account, now)
            if keepers[account.id] is None:
                _fail_without_sending(result, account, now, UnreadableCredentials().reason)
            else:
                ready.append((result, account))
        # An unknown outcome is checked only once its request can no longer land.
        settle = timedelta(seconds=deps.settings.unknown_settle_seconds)
        checkable: list[tuple[PostPlatformResult, PublishingAccount]] = []
        for result, account in ready:
            if result.unknown_since is not None and now < result.unknown_since + settle:
                _wait_to_check(result, result.unknown_since + settle)
            else:
                checkable.append((result, account))
        ready = checkable
        limits = [deps.settings.rate_limit(r.platform.value) for r, _ in ready]
        waits = await deps.limiter.acquire_many(
            [
                (r.platform.value, str(a.id), lim, win)
                for (r, a), (lim, win) in zip(ready, limits, strict=True)
            ],
            now=now.timestamp(),
        )
        for (result, account), (limit, window), wait in zip(ready, limits, waits, strict=True):
            post = posts[result.post_id]
            if wait > 0:
                result.status = ResultStatus.RETRY_WAIT
                result.next_attempt_at = now + timedelta(seconds=wait)
                result.error_kind = "rate_limit_wait"
                result.error_message = (
                    f"Waiting for the {result.platform.value} posting limit "
                    f"({limit} per {int(window)} s) to free a slot."
                )
                continue
            unknown_since = result.unknown_since
            # From here until its outcome is recorded, a request may be out.
            if result.unknown_since is None:
                result.unknown_since = now
            result.status = ResultStatus.SENDING
            result.attempts += 1
            result.send_lease_until = now + lease
            result.account_id = account.id
            attempt = PublishAttempt(
                post_id=post.id,
                result_id=result.id,
                platform=result.platform,
                attempt_no=result.attempts,
                started_at=now,
                outcome=AttemptOutcome.SENDING,
                worker=deps.worker_name,
            )
            session.add(attempt)
            pending.append(attempt)
            keeper = keepers[account.id]
            assert keeper is not None
            works.append(
                Work(
                    result_id=result.id,
                    attempt_id=0,  # known after the flush below
                    attempt_no=result.attempts,
                    post_id=post.id,
                    user_id=post.user_id,
                    platform=Platform(result.platform),
                    account_id=account.id,
                    external_account_id=account.external_account_id,
                    tokens=keeper,
                    payload=PostPayload(
                        text=(post.content_variants or {}).get(result.platform.value, post.content),
                        media_urls=list(post.media_urls),
                        idempotency_tag=f"{post.id}:{result.platform.value}",
                    ),
                    scheduled_at=post.scheduled_at,
                    started_at=now,
                    unknown_since=unknown_since,
                    pending_ref=result.pending_ref,
                    last_error=result.error_message,
                )
            )
        # One round trip for every attempt row, then their ids.
        await session.flush()
        for work, attempt in zip(works, pending, strict=True):
            work.attempt_id = attempt.id
        await _exclusions(session, deps, works)
    return works


def _wait_to_check(result: PostPlatformResult, check_at: datetime) -> None:
    result.status = ResultStatus.RETRY_WAIT
    result.next_attempt_at = check_at
    result.error_kind = "unknown"
    result.error_message = (
        f"{result.platform.label} may have published this post; Herald checks at "
        f"{check_at:%H:%M:%S} UTC, once a late request can no longer land."
    )


async def _exclusions(session: AsyncSession, deps: Deps, works: list[Work]) -> None:
    """The posts each check must not take: ids Herald already holds for other posts of the
    same account in the window (the user may have posted the same text on purpose)."""
    checks = [w for w in works if w.unknown_since is not None]
    if not checks:
        return
    skew = timedelta(seconds=deps.settings.reconcile_skew_seconds)
    since = min(w.unknown_since for w in checks if w.unknown_since is not None) - skew
    held = await publishing.external_ids_since(session, {w.account_id for w in checks}, since)
    for work in checks:
        work.exclude = frozenset(held.get(work.account_id, set()))


async def _open(
    session: AsyncSession, deps: Deps, account: PublishingAccount, now: datetime
) -> StoredTokens | None:
    """The account's keeper; None when its credentials cannot be decrypted, and then the
    account (only it) is marked for reconnecting and its user told."""
    try:
        creds = deps.tokens.credentials(account.credentials)
    except UnreadableCredentials as exc:
        log.error("credentials of account %s cannot be decrypted", account.id)
        await publishing.mark_needs_reconnect(
            session, account.id, account.user_id, Platform(account.platform), exc.reason, now=now
        )
        return None
    return deps.tokens.keeper(account.id, creds)


ABANDONED = "The publisher stopped before this attempt's outcome was known"


def _give_up_unknown(result: PostPlatformResult, now: datetime) -> None:
    """Every attempt, and every check since, ended with its job and without an answer. The
    result stays unknown (``unknown_since`` is kept), so a retry by the user checks first."""
    name = result.platform.label
    sends = f"{result.attempts} attempt{'s' if result.attempts != 1 else ''}"
    result.status = ResultStatus.FAILED
    result.error_kind = "unknown"
    result.send_lease_until = None
    result.updated_at = now
    result.error_message = (
        f"Gave up: {sends} and every check since ended without an answer; {name} may have "
        f"published this post. Look at the {name} account, then retry the post: Herald "
        "checks again before sending."
    )
    metrics.OUTCOMES.labels(result.platform.value, "failed", "unknown").inc()


def _fail_without_sending(
    result: PostPlatformResult,
    account: PublishingAccount | None,
    now: datetime,
    reason: str | None = None,
) -> None:
    name = result.platform.value
    result.status = ResultStatus.FAILED
    result.error_kind = "auth"
    metrics.OUTCOMES.labels(name, "failed", "auth").inc()
    if account is None:
        result.error_message = f"No connected {name} account. Connect one, then retry the post."
    else:
        reason = reason or account.reconnect_reason or "its access was revoked or expired"
        result.error_message = (
            f"The {name} account needs reconnecting ({reason}). Reconnect it, then retry."
        )


# -- 2. send ------------------------------------------------------------------------------


async def send(deps: Deps, work: Work) -> None:
    """One (post, platform), within the send deadline: a send that has not finished by then
    (a trickling media host, a platform still processing) is stopped, and since its request
    may already have reached the platform, its outcome is unknown."""
    with log_context(post_id=work.post_id, platform=work.platform.value):
        started = deps.clock()
        deadline = deps.settings.send_deadline
        try:
            async with asyncio.timeout(deadline):
                await _send(deps, work, started)
        except TimeoutError:
            if work.publishing:
                work.outcome = Outcome(
                    AttemptOutcome.UNKNOWN,
                    started,
                    deps.clock(),
                    error=f"No outcome within the {deadline:g} s send deadline; the post may have "
                    "been published",
                )
                work.unknown_after, work.ref_after = work.started_at, None
            else:
                # Stopped while checking: nothing was sent, and the earlier outcome stays unknown.
                work.check_failed = True
                work.outcome = Outcome(
                    AttemptOutcome.TRANSIENT,
                    started,
                    deps.clock(),
                    error=f"The check did not answer within the {deadline:g} s send deadline",
                )
                work.unknown_after, work.ref_after = work.unknown_since, work.pending_ref


async def _send(deps: Deps, work: Work, started: datetime) -> None:
    adapter = deps.adapters[work.platform]
    account = AccountRef(work.external_account_id, work.tokens)
    name = work.platform.label
    checking = work.unknown_since is not None
    try:
        if work.unknown_since is not None:
            skew = timedelta(seconds=deps.settings.reconcile_skew_seconds)
            lookup = Lookup(work.unknown_since - skew, work.pending_ref, work.exclude)
            try:
                found = await adapter.find_published(deps.http, account, work.payload, lookup)
            except (Unverifiable, Rejected) as exc:
                # No way to tell: the user looks, and decides by retrying.
                work.outcome = Outcome(
                    AttemptOutcome.PERMANENT,
                    started,
                    deps.clock(),
                    error=(
                        f"{name} may have published this post, and Herald cannot check "
                        f"({exc.message}). Look at the {name} account, and retry the post "
                        "if it is not there."
                    ),
                    error_kind="unverifiable",
                )
                return
            if found:
                finished = deps.clock()
                work.outcome = Outcome(
                    AttemptOutcome.RECONCILED,
                    started,
                    finished,
                    external_post_id=found.external_post_id,
                    published_at=reconciled_at(found, work.unknown_since, finished),
                )
                return
            if work.attempt_no > len(deps.settings.retry_delays_seconds) + 1:
                checking = False  # the platform answered: not there
                work.outcome = Outcome(
                    AttemptOutcome.TRANSIENT,
                    started,
                    deps.clock(),
                    error=f"{work.last_error or 'No answer'} ({name} has no such post)",
                )
                return
            # Not there, so it may be sent; first the result says that this attempt may
            # publish (written before any request leaves, or nothing is sent).
            if not await mark_sending(deps, work):
                work.outcome = Outcome(
                    AttemptOutcome.TRANSIENT,
                    started,
                    deps.clock(),
                    error="The post was taken back before it could be sent",
                )
                return
            checking = False
        work.publishing = True
        result = await adapter.publish(deps.http, account, work.payload)
        work.outcome = Outcome(
            AttemptOutcome.SUCCEEDED,
            started,
            deps.clock(),
            external_post_id=result.external_post_id,
        )
    except UsageCapped as exc:
        # Nothing goes through before the cap resets: wait for it, and tell the user.
        work.outcome = _failed(AttemptOutcome.RATE_LIMITED, started, deps, exc, exc.retry_after)
        work.capped = exc
    except QuotaReached as exc:
        # The account's quota is full: the post waits for it and the attempt is not spent.
        work.outcome = _failed(AttemptOutcome.RATE_LIMITED, started, deps, exc, exc.retry_after)
        work.quota_wait = True
    except RateLimited as exc:
        work.outcome = _failed(AttemptOutcome.RATE_LIMITED, started, deps, exc, exc.retry_after)
    except OutcomeUnknown as exc:
        work.outcome = _failed(AttemptOutcome.UNKNOWN, started, deps, exc)
        if not checking:
            work.unknown_after, work.ref_after = work.started_at, exc.ref
    except Transient as exc:
        work.outcome = _failed(AttemptOutcome.TRANSIENT, started, deps, exc)
    except AuthFailed as exc:
        work.outcome = _failed(AttemptOutcome.AUTH, started, deps, exc)
    except Rejected as exc:
        work.outcome = _failed(AttemptOutcome.PERMANENT, started, deps, exc)
    except Exception:
        # A fault of ours, maybe after the request left: treat as unknown, so the next
        # attempt asks the platform before sending again.
        log.exception("publishing %s to %s failed unexpectedly", work.post_id, work.platform)
        work.outcome = Outcome(
            AttemptOutcome.UNKNOWN, started, deps.clock(), error="Internal error while publishing"
        )
        if not checking:
            work.unknown_after = work.started_at
    finally:
        if checking and work.outcome is not None and work.outcome.error_kind != "unverifiable":
            if work.outcome.kind is not AttemptOutcome.RECONCILED:
                # The check did not answer: the outcome stays unknown, nothing was sent.
                work.unknown_after, work.ref_after = work.unknown_since, work.pending_ref
                work.check_failed = True


def reconciled_at(found: Found, unknown_since: datetime | None, finished: datetime) -> datetime:
    """When a post a check found went out: the platform's own creation time (no later than
    the check that saw it, whatever the two clocks say); when the platform does not say, the
    start of the attempt whose outcome was unknown, the earliest it can have gone out."""
    if found.created_at is not None:
        return min(found.created_at, finished)
    return unknown_since or finished


async def mark_sending(deps: Deps, work: Work) -> bool:
    async with session_scope(deps.sessionmaker) as session:
        return await publishing.mark_sending_after_check(
            session, work.result_id, work.attempt_no, work.started_at
        )


def _failed(
    kind: AttemptOutcome,
    started: datetime,
    deps: Deps,
    exc: PlatformError,
    retry_after: float | None = None,
) -> Outcome:
    return Outcome(kind, started, deps.clock(), error=exc.message, retry_after=retry_after)


# -- 3. record ----------------------------------------------------------------------------


async def record(deps: Deps, works: list[Work]) -> dict[str, int]:
    """Each finished work's outcome onto its result and attempt rows (one transaction)."""
    async with session_scope(deps.sessionmaker) as session:
        now = await publishing.database_now(session, shift=shift_of(deps.clock))
        return await _record(session, deps, works, now)


async def _record(
    session: AsyncSession, deps: Deps, works: list[Work], now: datetime
) -> dict[str, int]:
    delays = list(deps.settings.retry_delays_seconds)
    counts: dict[str, int] = {}
    result_rows: list[dict[str, Any]] = []
    attempt_rows: list[dict[str, Any]] = []
    reconnect: dict[uuid.UUID, tuple[uuid.UUID, Platform, str]] = {}
    for work in works:
        outcome = work.outcome
        assert outcome is not None
        check_at = (
            work.unknown_after + timedelta(seconds=deps.settings.unknown_settle_seconds)
            if work.unknown_after is not None
            else None
        )
        verdict = decide(outcome, work.attempt_no, delays, now, check_at=check_at)
        attempts = work.attempt_no
        if work.quota_wait:
            attempts -= 1
            verdict = Verdict(
                ResultStatus.RETRY_WAIT,
                now + timedelta(seconds=outcome.retry_after or 0.0),
                "quota_wait",
                f"{outcome.error}; waiting for the quota to free up (no attempt is spent).",
            )
        elif work.check_failed:
            attempts -= 1
            verdict = _check_again(deps, work, outcome, now)
        elif verdict.status is ResultStatus.FAILED and work.unknown_after is not None:
            name = work.platform.label
            verdict = replace(
                verdict,
                error_message=f"{name} may have published this post; Herald could not check "
                f"({verdict.error_message}). Look at the {name} account, then retry the post: "
                "Herald checks again before sending.",
            )
        counts[verdict.status.value] = counts.get(verdict.status.value, 0) + 1
        succeeded = verdict.status is ResultStatus.SUCCEEDED
        # Every row carries the same keys, so each table gets one executemany.
        result_rows.append(
            {
                "id": work.result_id,
                "status": verdict.status,
                "attempts": attempts,
                "next_attempt_at": verdict.next_attempt_at,
                "error_kind": verdict.error_kind,
                "error_message": verdict.error_message,
                "send_lease_until": None,
                "external_post_id": outcome.external_post_id if succeeded else None,
                "published_at": (outcome.published_at or outcome.finished_at)
                if succeeded
                else None,
                "unknown_since": work.unknown_after,
                "pending_ref": work.ref_after,
                "updated_at": now,
            }
        )
        took = (outcome.finished_at - outcome.started_at).total_seconds()
        late: float | None = None
        if work.attempt_no == 1 and work.scheduled_at is not None:
            late = (outcome.started_at - work.scheduled_at).total_seconds()
            metrics.LATENESS.labels(work.platform.value).observe(late)
        attempt_rows.append(
            {
                "id": work.attempt_id,
                "outcome": outcome.kind,
                "finished_at": outcome.finished_at,
                "error_message": outcome.error,
                "external_post_id": outcome.external_post_id,
                "duration_ms": int(took * 1000),
                "lateness_ms": int(late * 1000) if late is not None else None,
            }
        )
        metrics.ATTEMPTS.labels(work.platform.value, outcome.kind.value).inc()
        metrics.OUTCOMES.labels(
            work.platform.value, *metrics.outcome_labels(verdict.status.value, verdict.error_kind)
        ).inc()
        metrics.PLATFORM_SECONDS.labels(work.platform.value).observe(took)
        if outcome.kind is AttemptOutcome.AUTH:
            reconnect[work.account_id] = (work.user_id, work.platform, outcome.error or "")
    await publishing.record_outcomes(session, result_rows, attempt_rows)
    for work in works:
        if work.capped is not None:
            await publishing.tell_usage_capped(
                session,
                work.account_id,
                work.user_id,
                work.platform,
                resets_at=work.capped.resets_at,
                reason=work.capped.message,
                now=now,
            )
    for account_id, (user_id, platform, reason) in reconnect.items():
        await publishing.mark_needs_reconnect(
            session, account_id, user_id, platform, reason, now=now
        )
    return counts


def _check_again(deps: Deps, work: Work, outcome: Outcome, now: datetime) -> Verdict:
    """A check that did not answer: made again after the last retry delay (or what the
    platform asked for), for as long as the check window lasts; then the user looks."""
    name = work.platform.label
    since = work.unknown_since or work.started_at
    window = deps.settings.unknown_check_seconds
    if (now - since).total_seconds() > window:
        return Verdict(
            ResultStatus.FAILED,
            None,
            "unknown",
            f"{name} may have published this post, and Herald could not check for "
            f"{window / 3600:g} hours ({outcome.error}). Look at the {name} account, then "
            "retry the post: Herald checks again before sending.",
        )
    delays = deps.settings.retry_delays_seconds
    wait = max(delays[-1] if delays else 0.0, outcome.retry_after or 0.0)
    when = now + timedelta(seconds=wait)
    return Verdict(
        ResultStatus.RETRY_WAIT,
        when,
        "unknown",
        f"{name} may have published this post; the check did not answer ({outcome.error}). "
        f"Herald checks again at {when:%H:%M:%S} UTC.",
    )


async def settle(deps: Deps, post_ids: Sequence[uuid.UUID]) -> None:
    """Each post's own status from its results, once this job's sends are recorded."""
    async with session_scope(deps.sessionmaker) as session:
        now = await publishing.database_now(session, shift=shift_of(deps.clock))
        await publishing.settle_posts(session, post_ids, now=now)
