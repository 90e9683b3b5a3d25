"""Request dependencies as ``Annotated`` aliases."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

import asyncpg
from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.crypto import SecretBox
from herald_common.errors import AppError, Unauthorized
from herald_common.logging import push_context
from herald_common.netguard import Destinations
from herald_common.timeutil import Clock
from herald_db.models import User
from herald_db.repositories import direct
from herald_db.repositories import users as users_repo
from herald_db.session import direct_connection
from herald_post_api.auth.security import TokenError, decode_access_token
from herald_post_api.auth.throttle import LoginThrottle
from herald_post_api.cpu import CpuPool
from herald_post_api.settings import PostApiSettings

log = logging.getLogger(__name__)

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)

# The small dependencies below are ``async def`` on purpose: FastAPI runs a plain ``def``
# dependency in the thread pool, a thread hand-off per dependency per request.


async def bind_post_id(request: Request) -> None:
    """Lines logged for a request on one post carry its id (until the request ends: the
    request-id middleware restores the context it found)."""
    raw = request.path_params.get("post_id")
    if raw is None:
        return
    try:
        push_context(post_id=uuid.UUID(str(raw)))
    except ValueError:
        return


async def get_settings(request: Request) -> PostApiSettings:
    settings: PostApiSettings = request.app.state.settings
    return settings


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.box
    return box


async def get_webhook_destinations(request: Request) -> Destinations:
    destinations: Destinations = request.app.state.webhook_destinations
    return destinations


async def get_cpu(request: Request) -> CpuPool:
    cpu: CpuPool = request.app.state.cpu
    return cpu


async def get_login_throttle(request: Request) -> LoginThrottle:
    throttle: LoginThrottle = request.app.state.login_throttle
    return throttle


async def get_redis(request: Request) -> Redis:
    redis: Redis = request.app.state.redis
    return redis


class CommitFailed(AppError):
    status = 503
    slug = "commit-failed"
    title = "The change was not saved"


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed before the response is sent.

    ``SessionDep`` gives this dependency the endpoint's scope, so FastAPI runs the commit
    after the handler returns and before the status line goes out: a client holding a 2xx
    can read what it made on any connection, and a commit that fails answers 503, never 2xx.
    """
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        try:
            await session.commit()
        except Exception as exc:
            raise _commit_failed(request) from exc


def _commit_failed(request: Request) -> CommitFailed:
    """The answer to a request whose commit failed: a 503 problem, never a 2xx."""
    log.exception("commit failed on %s %s", request.method, request.url.path)
    return CommitFailed(
        "The change could not be saved; retry the request (with the same "
        "Idempotency-Key where one was sent).",
        headers={"Retry-After": "1"},
    )


SettingsDep = Annotated[PostApiSettings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
BoxDep = Annotated[SecretBox, Depends(get_box)]
RedisDep = Annotated[Redis, Depends(get_redis)]
WebhookDestinationsDep = Annotated[Destinations, Depends(get_webhook_destinations)]
LoginThrottleDep = Annotated[LoginThrottle, Depends(get_login_throttle)]
CpuDep = Annotated[CpuPool, Depends(get_cpu)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def caller_id(request: Request, token: str | None) -> uuid.UUID:
    """The id of the user the bearer token speaks for; 401 without a valid token."""
    # Settings and clock straight from the app: on every authenticated request, each
    # dependency less is resolution work less.
    settings: PostApiSettings = request.app.state.settings
    clock: Clock = request.app.state.clock
    if not token:
        raise Unauthorized("A bearer token is required.")
    try:
        user_id = decode_access_token(token, settings.jwt_secret, now=clock())
    except TokenError as exc:
        raise Unauthorized(str(exc)) from exc
    return uuid.UUID(user_id)


async def get_current_user(
    request: Request,
    session: SessionDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    user_id = caller_id(request, token)
    user = await users_repo.get(session, user_id)
    if user is None:
        raise Unauthorized("The token's user no longer exists.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


@dataclass(frozen=True, slots=True)
class Caller:
    """The caller of a request served on asyncpg directly (``GET /v1/me``, reading and
    creating posts): the user's row, and the request's connection inside its transaction
    (:mod:`herald_db.repositories.direct`)."""

    id: uuid.UUID
    email: str
    timezone: str
    created_at: datetime
    conn: asyncpg.Connection


async def get_caller(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> AsyncIterator[Caller]:
    """The caller, with one transaction on one pooled connection for the whole request:
    the token, the connection (first come, first served), the user and, after the handler,
    the commit, in one dependency. Committed before the status line is sent, like
    :func:`get_session` (``CallerDep`` gives it the endpoint's scope): a commit that fails
    answers 503."""
    user_id = caller_id(request, token)
    turns: asyncio.Semaphore = request.app.state.db_turns
    async with turns, direct_connection(request.app.state.engine) as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            row = await direct.user(conn, user_id)
            if row is None:
                raise Unauthorized("The token's user no longer exists.")
            yield Caller(row["id"], row["email"], row["timezone"], row["created_at"], conn)
        except BaseException:
            # A connection that cannot roll back is closed on its way back to the pool.
            with contextlib.suppress(Exception):
                await transaction.rollback()
            raise
        try:
            await transaction.commit()
        except Exception as exc:
            raise _commit_failed(request) from exc


async def get_reader(
    request: Request, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> AsyncIterator[Caller]:
    """The caller of a request that only reads: no transaction to begin or commit (each
    statement is its own), one pooled connection for the request."""
    user_id = caller_id(request, token)
    turns: asyncio.Semaphore = request.app.state.db_turns
    async with turns, direct_connection(request.app.state.engine) as conn:
        row = await direct.user(conn, user_id)
        if row is None:
            raise Unauthorized("The token's user no longer exists.")
        yield Caller(row["id"], row["email"], row["timezone"], row["created_at"], conn)


CallerDep = Annotated[Caller, Depends(get_caller, scope="function")]
ReaderDep = Annotated[Caller, Depends(get_reader, scope="function")]


async def now_dep(clock: ClockDep) -> datetime:
    return clock()


Now = Annotated[datetime, Depends(now_dep)]
