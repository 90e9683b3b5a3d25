"""GET /v1/notifications and marking them read."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from herald_common.errors import NotFound
from herald_db.repositories import notifications as notifications_repo
from herald_post_api import pagination
from herald_post_api.deps import CurrentUser, Now, SessionDep
from herald_post_api.fields import Cursor
from herald_post_api.notifications.schemas import NotificationPage, NotificationRead
from herald_post_api.openapi import problems

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])


class NotificationNotFound(NotFound):
    slug = "notification-not-found"
    title = "Notification not found"


@router.get(
    "",
    response_model=NotificationPage,
    responses=problems(401, 422),
    summary="The caller's notifications, newest first",
)
async def list_notifications(
    user: CurrentUser,
    session: SessionDep,
    unread: bool = False,
    cursor: Annotated[Cursor, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationPage:
    rows = await notifications_repo.page_for_user(
        session, user.id, unread=unread, after=pagination.position(cursor), limit=limit + 1
    )
    page, nxt = pagination.cut(rows, limit)
    return NotificationPage(
        items=[NotificationRead.model_validate(n) for n in page], next_cursor=nxt
    )


@router.post(
    "/{notification_id}/read",
    response_model=NotificationRead,
    responses=problems(401, 404),
    summary="Mark one notification read",
)
async def mark_read(
    notification_id: uuid.UUID, user: CurrentUser, session: SessionDep, now: Now
) -> NotificationRead:
    note = await notifications_repo.get_for_user(session, user.id, notification_id)
    if note is None:
        raise NotificationNotFound(f"No notification {notification_id}.")
    if note.read_at is None:
        note.read_at = now
        await session.flush()
    return NotificationRead.model_validate(note)


@router.post("/read-all", responses=problems(401), summary="Mark every notification read")
async def mark_all_read(user: CurrentUser, session: SessionDep, now: Now) -> dict[str, int]:
    return {"marked": await notifications_repo.mark_all_read(session, user.id, now=now)}
