"""GET /v1/posts/{id}/attempts: every platform attempt of a post, oldest first."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from herald_db.enums import AttemptOutcome, Platform
from herald_db.repositories import attempts as attempts_repo
from herald_post_api.deps import CurrentUser, SessionDep
from herald_post_api.openapi import problems
from herald_post_api.posts import service

router = APIRouter(prefix="/v1/posts", tags=["posts"])


class AttemptRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    platform: Platform
    attempt_no: int = Field(
        description="The attempt this try belongs to. A check of an unknown outcome that got "
        "no answer, and a wait for a full Instagram quota, spend no attempt: the try after "
        "them carries the same number."
    )
    started_at: datetime
    finished_at: datetime | None
    outcome: AttemptOutcome
    error_message: str | None
    duration_ms: int | None
    lateness_ms: int | None
    external_post_id: str | None


@router.get(
    "/{post_id}/attempts",
    response_model=list[AttemptRead],
    responses=problems(401, 404),
    summary="Every attempt to publish a post: when, where, outcome, how long",
)
async def list_attempts(
    post_id: uuid.UUID, user: CurrentUser, session: SessionDep
) -> list[AttemptRead]:
    post = await service.get(session, user, post_id)
    return [AttemptRead.model_validate(a) for a in await attempts_repo.for_post(session, post.id)]
