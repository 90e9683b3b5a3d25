"""Posts: create, read, edit, schedule, unschedule, delete. Never commits; the request does."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, ParamSpec, Protocol, TypeVar

import asyncpg
from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.errors import Conflict, NotFound, Unprocessable
from herald_common.timeutil import (
    InvalidTimezone,
    NonexistentLocalTime,
    local_to_utc,
    utc_to_local,
)
from herald_db.enums import Platform, PostStatus, ResultStatus
from herald_db.models import Post, PostPlatformResult, User
from herald_db.repositories import accounts as accounts_repo
from herald_db.repositories import direct
from herald_db.repositories import posts as posts_repo
from herald_platforms import rules
from herald_post_api import pagination
from herald_post_api.cpu import CpuPool
from herald_post_api.posts.schemas import (
    PlatformResultRead,
    PostCreate,
    PostRead,
    PostSchedule,
    PostUpdate,
)


class PostNotFound(NotFound):
    slug = "post-not-found"
    title = "Post not found"


class PostNotEditable(Conflict):
    slug = "post-not-editable"
    title = "Post cannot be changed in its current state"


class ContentRuleViolation(Unprocessable):
    slug = "content-rule-violation"
    title = "Content breaks a platform's rules"


class InvalidSchedule(Unprocessable):
    slug = "invalid-schedule"
    title = "Invalid scheduled time"


class AccountMissing(Unprocessable):
    slug = "account-not-connected"
    title = "No active account on a target platform"


class AccountNeedsReconnect(Conflict):
    slug = "account-needs-reconnect"
    title = "An account the post needs is not connected"


EDITABLE = (PostStatus.DRAFT, PostStatus.SCHEDULED)


class Owner(Protocol):
    """Whose post: a user's model, or the caller of a request served on asyncpg directly."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def timezone(self) -> str: ...


def resolve_scheduled_at(value: datetime, zone: str | None, user: Owner, now: datetime) -> datetime:
    """The UTC instant for a scheduled time given with an offset or as local time."""
    try:
        instant = local_to_utc(value, zone or user.timezone)
    except InvalidTimezone as exc:
        raise InvalidSchedule(str(exc), field="timezone") from exc
    except OverflowError as exc:
        # 0001-01-01T00:00:00+01:00 is in year 0 in UTC; 9999-12-31T23:00:00-02:00 in 10000.
        raise InvalidSchedule(
            f"scheduled_at {value.isoformat()} is outside the years 1 to 9999 in UTC.",
            field="scheduled_at",
        ) from exc
    except NonexistentLocalTime as exc:
        raise InvalidSchedule(str(exc), field="scheduled_at") from exc
    if instant <= now:
        raise InvalidSchedule(
            f"scheduled_at {instant.isoformat()} is in the past (now {now.isoformat()}).",
            field="scheduled_at",
        )
    return instant


def check_content(
    content: str,
    variants: dict[str, str],
    platforms: Sequence[str],
    media_count: int,
) -> None:
    problems: list[dict[str, Any]] = []
    for name in platforms:
        platform = Platform(name)
        text = variants.get(name, content)
        field = f"content_variants.{name}" if name in variants else "content"
        for v in rules.check(platform, text, media_count):
            problems.append(
                {
                    "field": "media_urls" if v.rule.startswith("media") else field,
                    "platform": name,
                    "rule": v.rule,
                    "limit": v.limit,
                    "measured": v.measured,
                    "message": v.message,
                }
            )
    if problems:
        first = problems[0]
        raise ContentRuleViolation(first["message"], field=first["field"], errors=problems)


async def check_accounts(session: AsyncSession, user: User, platforms: Sequence[str]) -> None:
    require_accounts(await accounts_repo.active_platforms(session, user.id), platforms)


def require_accounts(active: set[Platform], platforms: Sequence[str]) -> None:
    """Refuse platforms among ``platforms`` with no active account in ``active``."""
    missing = [p for p in platforms if Platform(p) not in active]
    if missing:
        names = ", ".join(missing)
        raise AccountMissing(
            f"Connect an account first: no active account for {names}.",
            field="platforms",
            missing=missing,
        )


def to_read(
    post: Post | Row[Any],
    user: Owner,
    results: Sequence[PostPlatformResult | Row[Any]] | None = None,
) -> PostRead:
    local = utc_to_local(post.scheduled_at, user.timezone) if post.scheduled_at else None
    return PostRead(
        id=post.id,
        status=post.status,
        content=post.content,
        media_urls=list(post.media_urls),
        platforms=[Platform(p) for p in post.platforms],
        content_variants={Platform(k): v for k, v in (post.content_variants or {}).items()},
        scheduled_at=post.scheduled_at,
        scheduled_at_local=local,
        timezone=user.timezone,
        created_at=post.created_at,
        updated_at=post.updated_at,
        completed_at=post.completed_at,
        results=[PlatformResultRead.model_validate(r) for r in (results or [])],
    )


# Texts up to this many characters in all are checked on the event loop; longer ones in
# the CPU pool: X's weighted length is linear, but 100,000 characters still take tens of
# milliseconds that every other request would wait for.
INLINE_TEXT = 2_000

P = ParamSpec("P")
T = TypeVar("T")


def text_size(content: str, variants: Mapping[Any, str] | None) -> int:
    return len(content) + sum(len(v) for v in (variants or {}).values())


async def off_loop(
    cpu: CpuPool | None, size: int, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T:
    """``fn(*args)``, in the CPU pool when ``size`` characters of text make it long."""
    if cpu is None or size <= INLINE_TEXT:
        return fn(*args, **kwargs)
    return await cpu.run(fn, *args, **kwargs)


async def _validate_for_status(
    session: AsyncSession, post: Post, user: User, cpu: CpuPool | None = None
) -> None:
    await off_loop(
        cpu,
        text_size(post.content, post.content_variants),
        check_content,
        post.content,
        post.content_variants,
        post.platforms,
        len(post.media_urls),
    )
    if post.status is PostStatus.SCHEDULED:
        await check_accounts(session, user, post.platforms)


def _variants(data: dict[Platform, str] | None) -> dict[str, str]:
    return {p.value: text for p, text in (data or {}).items()}


# The columns a new post is inserted with; the database fills in the rest.
NEW_POST_COLUMNS = (
    "user_id",
    "content",
    "media_urls",
    "platforms",
    "content_variants",
    "scheduled_at",
    "timezone",
    "status",
)


async def create(
    conn: asyncpg.Connection,
    user: Owner,
    data: PostCreate,
    now: datetime,
    cpu: CpuPool | None = None,
) -> asyncpg.Record:
    """The post ``data`` describes, checked and inserted (one INSERT ... RETURNING)."""
    post = await off_loop(
        cpu, text_size(data.content, data.content_variants), build, user, data, now
    )
    if post.status is PostStatus.SCHEDULED:
        active = await direct.active_platforms(conn, user.id)
        require_accounts({Platform(p) for p in active}, post.platforms)
    return await direct.insert_post(conn, {c: getattr(post, c) for c in NEW_POST_COLUMNS})


def build(user: Owner, data: PostCreate, now: datetime) -> Post:
    """The new post ``data`` describes, checked by every rule that needs no database read
    (status and time, variants, content); the accounts are checked by the caller."""
    status = (
        PostStatus(data.status)
        if data.status
        else (PostStatus.SCHEDULED if data.scheduled_at else PostStatus.DRAFT)
    )
    scheduled = (
        resolve_scheduled_at(data.scheduled_at, data.timezone, user, now)
        if data.scheduled_at
        else None
    )
    if status is PostStatus.SCHEDULED and scheduled is None:
        raise InvalidSchedule("A SCHEDULED post needs scheduled_at.", field="scheduled_at")
    variants = _variants(data.content_variants)
    extra = set(variants) - {p.value for p in data.platforms}
    if extra:
        raise Unprocessable(
            f"content_variants names platforms the post does not target: {sorted(extra)}",
            field="content_variants",
        )
    post = Post(
        user_id=user.id,
        content=data.content,
        media_urls=[str(u) for u in data.media_urls or []],
        platforms=[p.value for p in data.platforms],
        content_variants=variants,
        scheduled_at=scheduled,
        timezone=data.timezone or user.timezone,
        status=status,
    )
    check_content(post.content, post.content_variants, post.platforms, len(post.media_urls))
    return post


async def get(session: AsyncSession, user: User, post_id: uuid.UUID, *, lock: bool = False) -> Post:
    post = await posts_repo.get_for_user(session, user.id, post_id, for_update=lock)
    if post is None:
        raise PostNotFound(f"No post {post_id}.")
    return post


async def read(session: AsyncSession, user: User, post_id: uuid.UUID) -> PostRead:
    post = await posts_repo.read_for_user(session, user.id, post_id)
    if post is None:
        raise PostNotFound(f"No post {post_id}.")
    results = await posts_repo.result_rows_for(session, [post.id])
    return to_read(post, user, results[post.id])


def read_body(
    post: Mapping[str, Any], results: Sequence[Mapping[str, Any]], zone: str
) -> dict[str, Any]:
    """The fields of a :class:`PostRead` from rows of :mod:`herald_db.repositories.direct`,
    for a user in ``zone`` (as :func:`to_read` gives them from models)."""
    scheduled = post["scheduled_at"]
    return {
        "id": post["id"],
        "status": post["status"],
        "content": post["content"],
        "media_urls": post["media_urls"],
        "platforms": post["platforms"],
        "content_variants": post["content_variants"] or {},
        "scheduled_at": scheduled,
        "scheduled_at_local": utc_to_local(scheduled, zone) if scheduled else None,
        "timezone": zone,
        "created_at": post["created_at"],
        "updated_at": post["updated_at"],
        "completed_at": post["completed_at"],
        "results": [{name: r[column] for name, column in direct.RESULT_FIELDS} for r in results],
    }


def _ensure_editable(post: Post, action: str) -> None:
    if post.status not in EDITABLE:
        raise PostNotEditable(
            f"A {post.status.value} post cannot be {action}; only DRAFT or SCHEDULED posts can.",
            status_now=post.status.value,
        )


async def update(
    session: AsyncSession,
    user: User,
    post_id: uuid.UUID,
    data: PostUpdate,
    now: datetime,
    cpu: CpuPool | None = None,
) -> Post:
    post = await get(session, user, post_id, lock=True)
    _ensure_editable(post, "edited")
    fields = data.model_fields_set
    if "content" in fields and data.content is not None:
        post.content = data.content
    if "media_urls" in fields:
        post.media_urls = [str(u) for u in data.media_urls or []]
    if "platforms" in fields and data.platforms is not None:
        post.platforms = [p.value for p in data.platforms]
    if "content_variants" in fields:
        post.content_variants = _variants(data.content_variants)
    post.content_variants = {
        k: v for k, v in post.content_variants.items() if k in set(post.platforms)
    }
    if "scheduled_at" in fields:
        if data.scheduled_at is None:
            if post.status is PostStatus.SCHEDULED:
                raise InvalidSchedule(
                    "A SCHEDULED post needs scheduled_at; unschedule it first.",
                    field="scheduled_at",
                )
            post.scheduled_at = None
        else:
            post.scheduled_at = resolve_scheduled_at(data.scheduled_at, data.timezone, user, now)
            post.timezone = data.timezone or user.timezone
    await _validate_for_status(session, post, user, cpu)
    await session.flush()
    await session.refresh(post)
    return post


async def schedule(
    session: AsyncSession,
    user: User,
    post_id: uuid.UUID,
    data: PostSchedule,
    now: datetime,
    cpu: CpuPool | None = None,
) -> Post:
    post = await get(session, user, post_id, lock=True)
    _ensure_editable(post, "scheduled")
    if data.scheduled_at is not None:
        post.scheduled_at = resolve_scheduled_at(data.scheduled_at, data.timezone, user, now)
        post.timezone = data.timezone or user.timezone
    elif post.scheduled_at is None:
        raise InvalidSchedule("Give scheduled_at to schedule this post.", field="scheduled_at")
    elif post.scheduled_at <= now:
        raise InvalidSchedule(
            "The post's scheduled_at is in the past; give a new one.", field="scheduled_at"
        )
    post.status = PostStatus.SCHEDULED
    await _validate_for_status(session, post, user, cpu)
    await session.flush()
    await session.refresh(post)
    return post


async def unschedule(session: AsyncSession, user: User, post_id: uuid.UUID) -> Post:
    post = await get(session, user, post_id, lock=True)
    if post.status is not PostStatus.SCHEDULED:
        raise PostNotEditable(
            f"Only a SCHEDULED post can go back to DRAFT; this one is {post.status.value}.",
            status_now=post.status.value,
        )
    post.status = PostStatus.DRAFT
    await session.flush()
    await session.refresh(post)
    return post


async def delete(session: AsyncSession, user: User, post_id: uuid.UUID) -> None:
    post = await get(session, user, post_id, lock=True)
    if post.status is PostStatus.PUBLISHING:
        raise PostNotEditable(
            "The post is being published; wait until it is PUBLISHED or FAILED.",
            status_now=post.status.value,
        )
    await posts_repo.delete_post(session, post)


async def retry(session: AsyncSession, user: User, post_id: uuid.UUID, now: datetime) -> Post:
    """Try a FAILED post again on its failed platforms only; succeeded ones are kept."""
    post = await get(session, user, post_id, lock=True)
    if post.status is not PostStatus.FAILED:
        raise PostNotEditable(
            f"Only a FAILED post can be retried; this one is {post.status.value}.",
            status_now=post.status.value,
        )
    results = (await posts_repo.results_for(session, [post.id]))[post.id]
    failed = [r for r in results if r.status is ResultStatus.FAILED]
    accounts = await accounts_repo.active_platforms(session, user.id)
    blocked = sorted(r.platform.value for r in failed if Platform(r.platform) not in accounts)
    if blocked:
        raise AccountNeedsReconnect(
            f"Reconnect your account on {', '.join(blocked)} before retrying.",
            field="platforms",
            platforms=blocked,
        )
    # A platform whose outcome is unknown stays so (unknown_since is kept): the publisher
    # asks the platform before it sends anything again.
    usable = await accounts_repo.usable_ids(session, user.id)
    for r in failed:
        # A result stays with its account; one that can no longer post (disconnected, or
        # replaced by another account of the platform) is let go, unless the post may be
        # live there, which only that account can tell.
        if r.account_id not in usable and r.error_kind != "unknown":
            r.account_id = None
        r.status = ResultStatus.PENDING
        r.attempts = 0
        r.error_kind = None
        r.error_message = None
        r.next_attempt_at = None
    post.status = PostStatus.PUBLISHING
    post.completed_at = None
    # A lease that has already run out: the scheduler's next pass hands the post out.
    posts_repo.lease_run_out(post)
    await session.flush()
    await session.refresh(post)
    await posts_repo.notify_due(session, now)
    return post


def encode_cursor(post: Post | Row[Any]) -> str:
    return pagination.encode(post.created_at, post.id)


def cursor_after(row: Mapping[str, Any]) -> str:
    """The cursor of the page after ``row`` (a row of :mod:`herald_db.repositories.direct`)."""
    return pagination.encode(row["created_at"], row["id"])


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    return pagination.decode(cursor)
