"""POST /v1/auth/register and POST /v1/auth/token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from herald_post_api.auth import service
from herald_post_api.auth.schemas import TokenRead, UserRegister
from herald_post_api.auth.security import create_access_token
from herald_post_api.deps import ClockDep, CpuDep, LoginThrottleDep, SessionDep, SettingsDep
from herald_post_api.openapi import problems
from herald_post_api.users.schemas import UserRead

router = APIRouter(prefix="/v1/auth", tags=["auth"])


@router.post(
    "/register",
    status_code=status.HTTP_201_CREATED,
    response_model=UserRead,
    responses=problems(409, 422),
    summary="Create a user",
)
async def register(data: UserRegister, session: SessionDep, cpu: CpuDep) -> UserRead:
    user = await service.register(session, cpu, data)
    return UserRead.model_validate(user)


@router.post(
    "/token",
    response_model=TokenRead,
    responses=problems(401, 422, 429),
    summary="Log in (OAuth2 password grant) and get a bearer token",
    description="Attempts are limited per account and per client address; past the limit "
    "the answer is 429 with `Retry-After` (seconds).",
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    clock: ClockDep,
    throttle: LoginThrottleDep,
    cpu: CpuDep,
) -> TokenRead:
    attempt = await throttle.begin(form.username, request.client.host if request.client else "")
    user = await service.authenticate(session, cpu, form.username, form.password)
    await throttle.succeeded(attempt)
    access = create_access_token(
        str(user.id), settings.jwt_secret, now=clock(), ttl=settings.jwt_ttl_seconds
    )
    return TokenRead(access_token=access, expires_in=settings.jwt_ttl_seconds)
