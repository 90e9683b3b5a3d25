"""Request dependencies as ``Annotated`` aliases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.crypto import SecretBox
from herald_common.errors import Unauthorized
from herald_common.timeutil import Clock
from herald_db.models import User
from herald_db.repositories import users as users_repo
from herald_post_api.auth.security import TokenError, decode_access_token
from herald_post_api.settings import PostApiSettings

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/v1/auth/token", auto_error=False)


def get_settings(request: Request) -> PostApiSettings:
    settings: PostApiSettings = request.app.state.settings
    return settings


def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


def get_box(request: Request) -> SecretBox:
    box: SecretBox = request.app.state.box
    return box


def get_redis(request: Request) -> Redis:
    redis: Redis = request.app.state.redis
    return redis


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request: committed when the handler returns, else rolled back."""
    async with request.app.state.sessionmaker() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


SettingsDep = Annotated[PostApiSettings, Depends(get_settings)]
ClockDep = Annotated[Clock, Depends(get_clock)]
BoxDep = Annotated[SecretBox, Depends(get_box)]
RedisDep = Annotated[Redis, Depends(get_redis)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]


async def get_current_user(
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    token: Annotated[str | None, Depends(oauth2_scheme)],
) -> User:
    if not token:
        raise Unauthorized("A bearer token is required.")
    try:
        user_id = decode_access_token(token, settings.jwt_secret, now=clock())
    except TokenError as exc:
        raise Unauthorized(str(exc)) from exc
    user = await users_repo.get(session, uuid.UUID(user_id))
    if user is None:
        raise Unauthorized("The token's user no longer exists.")
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def now_dep(clock: ClockDep) -> datetime:
    return clock()


Now = Annotated[datetime, Depends(now_dep)]
