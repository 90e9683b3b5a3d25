"""GET /v1/notifications and marking them read."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select, update

from herald_common.errors import NotFound
from herald_db.models import Notification
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
    stmt = select(Notification).where(Notification.user_id == user.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    stmt = pagination.after(stmt, Notification.created_at, Notification.id, cursor, limit)
    page, nxt = pagination.cut((await session.execute(stmt)).scalars().all(), limit)
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
    note = (
        await session.execute(
            select(Notification).where(
                Notification.id == notification_id, Notification.user_id == user.id
            )
        )
    ).scalar_one_or_none()
    if note is None:
        raise NotificationNotFound(f"No notification {notification_id}.")
    if note.read_at is None:
        note.read_at = now
        await session.flush()
    return NotificationRead.model_validate(note)


@router.post("/read-all", responses=problems(401), summary="Mark every notification read")
async def mark_all_read(user: CurrentUser, session: SessionDep, now: Now) -> dict[str, int]:
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
        .returning(Notification.id)
    )
    return {"marked": len(result.all())}
