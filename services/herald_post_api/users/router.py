"""GET and PATCH /v1/me."""

from __future__ import annotations

from fastapi import APIRouter, Response

from herald_post_api.answers import json_answer
from herald_post_api.deps import CurrentUser, ReaderDep, SessionDep
from herald_post_api.openapi import problems
from herald_post_api.users.schemas import UserRead, UserUpdate

router = APIRouter(prefix="/v1/me", tags=["users"])


@router.get("", response_model=UserRead, responses=problems(401), summary="The caller")
async def read_me(caller: ReaderDep) -> Response:
    return json_answer(
        UserRead(
            id=caller.id, email=caller.email, timezone=caller.timezone, created_at=caller.created_at
        )
    )


@router.patch(
    "",
    response_model=UserRead,
    responses=problems(401, 422),
    summary="Change the caller's settings",
)
async def update_me(data: UserUpdate, user: CurrentUser, session: SessionDep) -> UserRead:
    if data.timezone is not None:
        user.timezone = data.timezone
    await session.flush()
    await session.refresh(user)
    return UserRead.model_validate(user)
