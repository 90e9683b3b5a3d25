"""The publisher's reads and writes around one job. Flushes; the job commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Interval, and_, cast, func, literal, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.enums import (
    AttemptOutcome,
    NotificationKind,
    Platform,
    PostStatus,
    ResultStatus,
)
from herald_db.models import Post, PostPlatformResult, PublishAttempt, PublishingAccount
from herald_db.repositories import events

FINAL = (ResultStatus.SUCCEEDED, ResultStatus.FAILED)
SETTLED = (ResultStatus.SUCCEEDED, ResultStatus.FAILED, ResultStatus.RETRY_WAIT)


async def lock_results_needing_work(
    session: AsyncSession, post_ids: Sequence[uuid.UUID], *, now: datetime
) -> list[PostPlatformResult]:
    """PENDING results, and SENDING ones whose send lease ran out, of PUBLISHING posts.

    SKIP LOCKED: a result another worker is preparing or recording is left to it.
    """
    stmt = (
        select(PostPlatformResult)
        .join(Post, Post.id == PostPlatformResult.post_id)
        .where(
            PostPlatformResult.post_id.in_(post_ids),
            Post.status == PostStatus.PUBLISHING,
            or_(
                PostPlatformResult.status == ResultStatus.PENDING,
                and_(
                    PostPlatformResult.status == ResultStatus.SENDING,
                    PostPlatformResult.send_lease_until <= now,
                ),
            ),
        )
        .order_by(PostPlatformResult.post_id, PostPlatformResult.platform)
        .with_for_update(of=PostPlatformResult, skip_locked=True)
    )
    return list((await session.execute(stmt)).scalars())


async def database_now(session: AsyncSession, *, shift: timedelta = timedelta()) -> datetime:
    """The database's clock (moved by ``shift`` where a test moves time): leases and due
    times are written and compared on it, never on a host's clock."""
    return (
        await session.execute(select(func.now() + cast(literal(shift, Interval()), Interval())))
    ).scalar_one()


async def close_abandoned_attempts(
    session: AsyncSession, result_ids: Sequence[uuid.UUID], *, now: datetime, error: str
) -> dict[uuid.UUID, datetime]:
    """Attempts of these results still open (their job ended before recording): UNKNOWN.
    Returns when each of them started, by result."""
    rows = await session.execute(
        update(PublishAttempt)
        .where(
            PublishAttempt.result_id.in_(list(result_ids)),
            PublishAttempt.outcome == AttemptOutcome.SENDING,
        )
        .values(outcome=AttemptOutcome.UNKNOWN, finished_at=now, error_message=error)
        .returning(PublishAttempt.result_id, PublishAttempt.started_at)
    )
    began: dict[uuid.UUID, datetime] = {}
    for result_id, started_at in rows:
        began[result_id] = max(started_at, began.get(result_id, started_at))
    return began


async def mark_sending_after_check(
    session: AsyncSession, result_id: uuid.UUID, attempt_no: int, started_at: datetime
) -> bool:
    """A check answered that the post is not there and this attempt is about to send: from
    now on the result is unknown since this attempt began, with no reference yet, so that a
    worker dying mid-send leaves the next check looking for this attempt's post. False
    when the attempt is no longer the result's own (taken back past its lease)."""
    done = await session.execute(
        update(PostPlatformResult)
        .where(
            PostPlatformResult.id == result_id,
            PostPlatformResult.status == ResultStatus.SENDING,
            PostPlatformResult.attempts == attempt_no,
        )
        .values(unknown_since=started_at, pending_ref=None)
        .returning(PostPlatformResult.id)
    )
    return done.first() is not None


async def record_outcomes(
    session: AsyncSession,
    results: Sequence[dict[str, Any]],
    attempts: Sequence[dict[str, Any]],
) -> None:
    """Finished sends onto their result and attempt rows: ``results`` and ``attempts`` are
    column values keyed by ``id``. Every row of a list must carry the same keys, so each
    table gets one executemany (an ORM bulk UPDATE by primary key)."""
    if results:
        await session.execute(update(PostPlatformResult), list(results))
    if attempts:
        await session.execute(update(PublishAttempt), list(attempts))


async def posts_by_id(session: AsyncSession, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, Post]:
    rows = await session.execute(select(Post).where(Post.id.in_(list(ids))))
    return {p.id: p for p in rows.scalars()}


async def accounts_by_id(
    session: AsyncSession, ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID, PublishingAccount]:
    """Accounts by id, whatever their state (results stay bound to the account they began
    with, even one disconnected since)."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = await session.execute(select(PublishingAccount).where(PublishingAccount.id.in_(wanted)))
    return {a.id: a for a in rows.scalars()}


async def active_accounts(
    session: AsyncSession, wanted: set[tuple[uuid.UUID, Platform]]
) -> dict[tuple[uuid.UUID, Platform], PublishingAccount]:
    """The account each (user, platform) publishes with: the most recently connected."""
    if not wanted:
        return {}
    rows = await session.execute(
        select(PublishingAccount)
        .where(
            tuple_(PublishingAccount.user_id, PublishingAccount.platform).in_(
                [(u, p.value) for u, p in wanted]
            ),
            PublishingAccount.is_active.is_(True),
        )
        .order_by(PublishingAccount.updated_at.desc())
    )
    out: dict[tuple[uuid.UUID, Platform], PublishingAccount] = {}
    for account in rows.scalars():
        out.setdefault((account.user_id, Platform(account.platform)), account)
    return out


async def mark_needs_reconnect(
    session: AsyncSession,
    account_id: uuid.UUID,
    user_id: uuid.UUID,
    platform: Platform,
    reason: str,
    *,
    now: datetime,
) -> None:
    changed = await session.execute(
        update(PublishingAccount)
        .where(PublishingAccount.id == account_id, PublishingAccount.needs_reconnect.is_(False))
        .values(needs_reconnect=True, reconnect_reason=reason[:500])
        .returning(PublishingAccount.id)
    )
    if changed.scalar_one_or_none() is None:
        return  # already marked (and already told)
    name = platform.label
    await events.emit(
        session,
        user_id=user_id,
        event_type=NotificationKind.ACCOUNT_NEEDS_RECONNECT.value,
        payload={"account_id": str(account_id), "platform": platform.value, "reason": reason},
        now=now,
        notification=(
            f"Reconnect your {name} account",
            f"Herald can no longer post to your {name} account ({reason}). Reconnect it, "
            "then retry the posts that failed.",
        ),
        dedupe_key=f"account.needs_reconnect:{account_id}:{now.isoformat()}",
    )


async def tell_usage_capped(
    session: AsyncSession,
    account_id: uuid.UUID,
    user_id: uuid.UUID,
    platform: Platform,
    *,
    resets_at: datetime,
    reason: str,
    now: datetime,
) -> None:
    """Tell the user their posts to ``platform`` wait until a usage cap resets (once per
    account and reset)."""
    name = platform.label
    await events.emit(
        session,
        user_id=user_id,
        event_type=NotificationKind.ACCOUNT_USAGE_CAPPED.value,
        payload={
            "account_id": str(account_id),
            "platform": platform.value,
            "resets_at": resets_at.isoformat(),
            "reason": reason,
        },
        now=now,
        notification=(
            f"Posts to {name} wait until {resets_at:%Y-%m-%d %H:%M} UTC",
            f"{reason}. Your posts to {name} wait and go out once the cap resets; nothing is lost.",
        ),
        dedupe_key=f"account.usage_capped:{account_id}:{resets_at.isoformat()}",
    )


async def settle_posts(
    session: AsyncSession, post_ids: Sequence[uuid.UUID], *, now: datetime
) -> None:
    """Set each post's status from its results and tell the user about final outcomes.

    PUBLISHED: every platform succeeded. FAILED: every platform is final and one failed.
    Otherwise the post stays PUBLISHING; its lease is dropped once nothing is in flight,
    so only due retries (or a lease that runs out) bring it back.
    """
    posts = (
        (
            await session.execute(
                select(Post)
                .where(Post.id.in_(post_ids), Post.status == PostStatus.PUBLISHING)
                .with_for_update()
            )
        )
        .scalars()
        .all()
    )
    if not posts:
        return
    results: dict[uuid.UUID, list[PostPlatformResult]] = {p.id: [] for p in posts}
    rows = await session.execute(
        select(PostPlatformResult).where(PostPlatformResult.post_id.in_(list(results)))
    )
    for r in rows.scalars():
        results[r.post_id].append(r)
    endpoints = await events.endpoints_of(session, {p.user_id for p in posts})
    for post in posts:
        mine = results[post.id]
        if not mine:
            continue
        if all(r.status is ResultStatus.SUCCEEDED for r in mine):
            post.status = PostStatus.PUBLISHED
        elif all(r.status in FINAL for r in mine):
            post.status = PostStatus.FAILED
        elif all(r.status in SETTLED for r in mine):
            post.lease_expires_at = None
            continue
        else:
            continue
        post.lease_expires_at = None
        post.completed_at = now
        await _tell(session, post, mine, now, endpoints)


async def _tell(
    session: AsyncSession,
    post: Post,
    results: list[PostPlatformResult],
    now: datetime,
    endpoints: events.Endpoints,
) -> None:
    platforms: list[dict[str, Any]] = [
        {
            "platform": r.platform.value,
            "status": r.status.value,
            "external_post_id": r.external_post_id,
            "error": r.error_message,
        }
        for r in sorted(results, key=lambda r: r.platform.value)
    ]
    payload = {"post_id": str(post.id), "status": post.status.value, "platforms": platforms}
    key = f"{post.id}:{post.claim_seq}"
    if post.status is PostStatus.PUBLISHED:
        await events.emit(
            session,
            user_id=post.user_id,
            event_type=NotificationKind.POST_PUBLISHED.value,
            payload=payload,
            now=now,
            dedupe_key=f"post.published:{key}",
            endpoints=endpoints,
        )
        return
    failed = [r for r in results if r.status is ResultStatus.FAILED]
    lines = "; ".join(f"{r.platform.value}: {r.error_message}" for r in failed)
    await events.emit(
        session,
        user_id=post.user_id,
        event_type=NotificationKind.POST_FAILED.value,
        payload=payload,
        now=now,
        notification=(
            "A post could not be published",
            f"Your post \u201c{_snippet(post.content)}\u201d failed on "
            f"{', '.join(r.platform.value for r in failed)}. {lines}",
        ),
        dedupe_key=f"post.failed:{key}",
        endpoints=endpoints,
    )


def _snippet(text: str, size: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "\u2026"


async def external_ids_since(
    session: AsyncSession, account_ids: set[uuid.UUID], since: datetime
) -> dict[uuid.UUID, set[str]]:
    """Per account, the platform ids of its posts Herald published since ``since``."""
    rows = await session.execute(
        select(PostPlatformResult.account_id, PostPlatformResult.external_post_id).where(
            PostPlatformResult.account_id.in_(list(account_ids)),
            PostPlatformResult.status == ResultStatus.SUCCEEDED,
            PostPlatformResult.published_at >= since,
            PostPlatformResult.external_post_id.is_not(None),
        )
    )
    out: dict[uuid.UUID, set[str]] = {}
    for account_id, external_id in rows:
        if account_id is not None and external_id is not None:
            out.setdefault(account_id, set()).add(external_id)
    return out
