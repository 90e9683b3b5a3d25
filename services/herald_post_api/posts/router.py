"""The /v1/posts endpoints."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from fastapi.responses import JSONResponse

from herald_common.errors import Unprocessable
from herald_db.enums import Platform, PostStatus
from herald_db.repositories import direct
from herald_post_api.answers import json_answer
from herald_post_api.deps import CallerDep, CpuDep, CurrentUser, Now, ReaderDep, SessionDep
from herald_post_api.fields import Cursor, IsoDateTime
from herald_post_api.openapi import problems
from herald_post_api.posts import idempotency, service
from herald_post_api.posts.schemas import PostCreate, PostPage, PostRead, PostSchedule, PostUpdate

router = APIRouter(prefix="/v1/posts", tags=["posts"])


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=PostRead,
    responses=problems(401, 409, 413, 422),
    summary="Create a draft or scheduled post",
    description=(
        "Send an `Idempotency-Key` header to make retries safe: a repeat with the same key "
        "and body within 24 hours returns the first response (with `Idempotent-Replayed: "
        "true`) and creates nothing; the same key with another body answers 422."
    ),
)
async def create_post(
    data: PostCreate,
    request: Request,
    caller: CallerDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=idempotency.MAX_KEY_LENGTH,
            pattern=idempotency.KEY_PATTERN,
        ),
    ] = None,
) -> Response:
    state = request.app.state
    now = state.clock()
    key = idempotency.validate_key(idempotency_key) if idempotency_key is not None else None
    if key is not None:
        earlier = await idempotency.claim_direct(
            caller.conn,
            user_id=caller.id,
            key=key,
            method="POST",
            path=request.url.path,
            fingerprint=idempotency.request_hash(data.model_dump(mode="json")),
            now=now,
            ttl=timedelta(hours=state.settings.idempotency_ttl_hours),
        )
        if earlier is not None:
            return JSONResponse(
                earlier["response_body"],
                status_code=earlier["status_code"] or 200,
                headers={"Idempotent-Replayed": "true"},
            )
    row = await service.create(caller.conn, caller, data, now, state.cpu)
    body = PostRead.model_validate(service.read_body(row, [], caller.timezone))
    if key is not None:
        await idempotency.store_direct(
            caller.conn, user_id=caller.id, key=key, status_code=201, body=body.model_dump_json()
        )
    return json_answer(body, 201, {"Location": f"/v1/posts/{row['id']}"})


@router.get(
    "",
    response_model=PostPage,
    responses=problems(401, 422),
    summary="List the caller's posts, newest first",
)
async def list_posts(
    request: Request,
    caller: ReaderDep,
    status_: Annotated[PostStatus | None, Query(alias="status")] = None,
    platform: Platform | None = None,
    from_: Annotated[
        IsoDateTime | None,
        Query(alias="from", description="scheduled_at at or after (UTC if naive)"),
    ] = None,
    to: Annotated[
        IsoDateTime | None, Query(description="scheduled_at before (UTC if naive)")
    ] = None,
    cursor: Annotated[Cursor, Query()] = None,
    limit: Annotated[int | None, Query(ge=1, le=200)] = None,
) -> Response:
    settings = request.app.state.settings
    size = min(limit or settings.page_size_default, settings.page_size_max)
    after = service.decode_cursor(cursor) if cursor else None
    rows = await direct.page(
        caller.conn,
        caller.id,
        limit=size + 1,
        status=status_.value if status_ else None,
        platform=platform.value if platform else None,
        scheduled_from=_as_utc(from_, "from"),
        scheduled_to=_as_utc(to, "to"),
        after=after,
    )
    posts = direct.grouped(rows)
    page = posts[:size]
    body = {
        "items": [service.read_body(p, results, caller.timezone) for p, results in page],
        "next_cursor": service.cursor_after(page[-1][0]) if len(posts) > size else None,
    }
    return json_answer(PostPage.model_validate(body))


def _as_utc(value: datetime | None, field: str) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise Unprocessable(
            f"{value.isoformat()} is outside the years 1 to 9999 in UTC.", field=field
        ) from exc


@router.get(
    "/{post_id}",
    response_model=PostRead,
    responses=problems(401, 404),
    summary="One post with its per-platform results",
)
async def get_post(post_id: uuid.UUID, caller: ReaderDep) -> Response:
    found = direct.grouped(await direct.post(caller.conn, caller.id, post_id))
    if not found:
        raise service.PostNotFound(f"No post {post_id}.")
    post, results = found[0]
    return json_answer(PostRead.model_validate(service.read_body(post, results, caller.timezone)))


@router.patch(
    "/{post_id}",
    response_model=PostRead,
    responses=problems(401, 404, 409, 422),
    summary="Edit a DRAFT or SCHEDULED post",
)
async def update_post(
    post_id: uuid.UUID,
    data: PostUpdate,
    user: CurrentUser,
    session: SessionDep,
    now: Now,
    cpu: CpuDep,
) -> PostRead:
    post = await service.update(session, user, post_id, data, now, cpu)
    return service.to_read(post, user)


@router.post(
    "/{post_id}/schedule",
    response_model=PostRead,
    responses=problems(401, 404, 409, 422),
    summary="Schedule (or reschedule) a post",
)
async def schedule_post(
    post_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    now: Now,
    cpu: CpuDep,
    data: PostSchedule | None = None,
) -> PostRead:
    post = await service.schedule(session, user, post_id, data or PostSchedule(), now, cpu)
    return service.to_read(post, user)


@router.post(
    "/{post_id}/unschedule",
    response_model=PostRead,
    responses=problems(401, 404, 409),
    summary="Take a SCHEDULED post back to DRAFT",
)
async def unschedule_post(post_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> PostRead:
    post = await service.unschedule(session, user, post_id)
    return service.to_read(post, user)


@router.post(
    "/{post_id}/retry",
    response_model=PostRead,
    responses=problems(401, 404, 409),
    summary="Retry a FAILED post on its failed platforms only",
    description="409 while an account one of the failed platforms needs is disconnected.",
)
async def retry_post(
    post_id: uuid.UUID, user: CurrentUser, session: SessionDep, now: Now
) -> PostRead:
    post = await service.retry(session, user, post_id, now)
    return await service.read(session, user, post.id)


@router.delete(
    "/{post_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 404, 409),
    summary="Delete a post (not while PUBLISHING)",
)
async def delete_post(post_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    await service.delete(session, user, post_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
