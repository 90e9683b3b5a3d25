"""The /v1/accounts endpoints: connect, callback, list, disconnect."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from herald_platforms.registry import get_adapter
from herald_post_api.accounts import service
from herald_post_api.accounts.schemas import (
    AccountRead,
    CallbackLanding,
    ConnectFinish,
    ConnectStart,
)
from herald_post_api.deps import BoxDep, CurrentUser, Now, SessionDep, SettingsDep
from herald_post_api.openapi import problems

router = APIRouter(prefix="/v1/accounts", tags=["accounts"])


@router.get(
    "",
    response_model=list[AccountRead],
    responses=problems(401),
    summary="The caller's connected accounts and their state (never their tokens)",
)
async def list_accounts(user: CurrentUser, session: SessionDep, now: Now) -> list[AccountRead]:
    return [service.to_read(a, now) for a in await service.list_accounts(session, user)]


@router.get(
    "/{platform}/connect",
    response_model=ConnectStart,
    responses=problems(401, 404),
    summary="Start connecting an account: the platform's authorize URL",
    description="`platform` is one of twitter, instagram, linkedin, facebook. The `state` "
    "in the URL is bound to the caller and valid for 10 minutes, once; finish with `POST "
    "/v1/accounts/{platform}/callback` as the same caller.",
)
async def connect(
    platform: str,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    box: BoxDep,
    now: Now,
) -> ConnectStart:
    which = service.parse_platform(platform)
    return await service.start_connect(
        session, user, which, get_adapter(which, settings), box, settings.oauth_redirect_base, now
    )


@router.post(
    "/{platform}/callback",
    response_model=AccountRead,
    responses=problems(401, 404, 422, 502),
    summary="Finish connecting: the platform's code and state, sent by the user who started",
    description="The platform sends the user's browser back to "
    "`{HERALD_OAUTH_REDIRECT_BASE}/v1/accounts/{platform}/callback?code=...&state=...`; the "
    "frontend serving that address posts `code` and `state` here with the user's own bearer "
    "token. The state is valid once, for 10 minutes, and only for the user who started "
    "connecting: brought back by anyone else (another user's browser, or no login at all) "
    "it connects nothing.",
)
async def finish(
    platform: str,
    data: ConnectFinish,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    box: BoxDep,
    now: Now,
) -> AccountRead:
    which = service.parse_platform(platform)
    if data.error or not data.code:
        raise service.AuthorizationDenied(
            f"{which.value} did not authorize Herald: {data.error or 'no code given'}.",
            field="error" if data.error else "code",
        )
    account = await service.finish_connect(
        session,
        user,
        which,
        code=data.code,
        state=data.state,
        adapter=get_adapter(which, settings),
        http=request.app.state.http,
        box=box,
        now=now,
    )
    return service.to_read(account, now)


@router.get(
    "/{platform}/callback",
    response_model=CallbackLanding,
    responses=problems(404, 422),
    summary="Where a browser lands when the redirect address is the API itself",
    description="Connects nothing: a link anyone can open must not attach an account. It "
    "shows the `code` and `state` to post to `POST /v1/accounts/{platform}/callback` with "
    "the bearer token of the user who started connecting (what a frontend does itself).",
)
async def callback_landing(
    platform: str,
    state: Annotated[str | None, Query(max_length=500)] = None,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=500)] = None,
) -> CallbackLanding:
    which = service.parse_platform(platform)
    return CallbackLanding(
        platform=which,
        state=state,
        code=code,
        error=error,
        detail=f"Nothing is connected yet: POST code and state to /v1/accounts/{which.slug}/"
        "callback with your bearer token to finish.",
    )


@router.delete(
    "/{account_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 404),
    summary="Disconnect an account (its tokens are dropped)",
)
async def disconnect(
    account_id: uuid.UUID, user: CurrentUser, session: SessionDep, box: BoxDep, now: Now
) -> Response:
    await service.disconnect(session, user, account_id, box, now)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
