"""The /v1/accounts endpoints: connect, callback, list, disconnect."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from herald_platforms.registry import get_adapter
from herald_post_api.accounts import service
from herald_post_api.accounts.schemas import AccountRead, ConnectStart
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
    "in the URL is bound to the caller and valid for 10 minutes, once.",
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


@router.get(
    "/{platform}/callback",
    response_model=AccountRead,
    responses=problems(404, 422, 502),
    summary="Where the platform sends the user back; stores the account",
    description="Called by the user's browser after authorizing. The `state` identifies the "
    "user who started connecting; a wrong, expired or reused state is refused.",
)
async def callback(
    platform: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    box: BoxDep,
    now: Now,
    state: Annotated[str, Query(min_length=1, max_length=500)],
    code: Annotated[str | None, Query(max_length=2000)] = None,
    error: Annotated[str | None, Query(max_length=500)] = None,
) -> AccountRead:
    which = service.parse_platform(platform)
    if error or not code:
        raise service.AuthorizationDenied(
            f"{which.value} did not authorize Herald: {error or 'no code given'}.", field="code"
        )
    account = await service.finish_connect(
        session,
        which,
        code=code,
        state=state,
        adapter=get_adapter(which, settings),
        http=request.app.state.http,
        box=box,
        now=now,
    )
    return service.to_read(account, now)


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
