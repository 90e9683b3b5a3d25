"""The /v1/webhooks endpoints and the delivery log."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from herald_db.repositories import webhooks as webhooks_repo
from herald_post_api import pagination
from herald_post_api.deps import BoxDep, CurrentUser, SessionDep, WebhookDestinationsDep
from herald_post_api.fields import Cursor
from herald_post_api.openapi import problems
from herald_post_api.webhooks import service
from herald_post_api.webhooks.schemas import (
    DeliveryPage,
    DeliveryRead,
    WebhookCreate,
    WebhookRead,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
SIGNING = (
    "Deliveries follow the Standard Webhooks spec: headers `webhook-id`, `webhook-timestamp` "
    "and `webhook-signature` (HMAC-SHA256 with the secret), body "
    '`{"type": ..., "timestamp": ..., "data": {...}}`. Failed deliveries are retried with '
    "backoff."
)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=WebhookWithSecret,
    responses=problems(401, 422),
    summary="Register a webhook endpoint",
    description=SIGNING,
)
async def create_webhook(
    data: WebhookCreate,
    user: CurrentUser,
    session: SessionDep,
    box: BoxDep,
    destinations: WebhookDestinationsDep,
) -> WebhookWithSecret:
    await service.check_url(destinations, str(data.url))
    return await service.create(
        session, user, str(data.url), list(data.event_types), data.description, box
    )


@router.get(
    "",
    response_model=list[WebhookRead],
    responses=problems(401),
    summary="The caller's webhook endpoints",
)
async def list_webhooks(user: CurrentUser, session: SessionDep) -> list[WebhookRead]:
    return [service.to_read(e) for e in await webhooks_repo.endpoints_for_user(session, user.id)]


@router.get(
    "/{webhook_id}",
    response_model=WebhookRead,
    responses=problems(401, 404),
    summary="One webhook endpoint (never its secret)",
)
async def get_webhook(webhook_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> WebhookRead:
    return service.to_read(await service.get(session, user, webhook_id))


@router.patch(
    "/{webhook_id}",
    response_model=WebhookRead,
    responses=problems(401, 404, 422),
    summary="Change a webhook's address, events, description or whether it is active",
)
async def update_webhook(
    webhook_id: uuid.UUID,
    data: WebhookUpdate,
    user: CurrentUser,
    session: SessionDep,
    destinations: WebhookDestinationsDep,
) -> WebhookRead:
    endpoint = await service.get(session, user, webhook_id)
    if data.url is not None:
        await service.check_url(destinations, str(data.url))
        endpoint.url = str(data.url)
    if data.event_types is not None:
        endpoint.event_types = list(data.event_types)
    if data.description is not None:
        endpoint.description = data.description
    if data.is_active is not None:
        endpoint.is_active = data.is_active
    await session.flush()
    await session.refresh(endpoint)
    return service.to_read(endpoint)


@router.delete(
    "/{webhook_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=problems(401, 404),
    summary="Delete a webhook endpoint and its delivery log",
)
async def delete_webhook(webhook_id: uuid.UUID, user: CurrentUser, session: SessionDep) -> Response:
    endpoint = await service.get(session, user, webhook_id)
    await webhooks_repo.delete_endpoint(session, endpoint.id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=WebhookWithSecret,
    responses=problems(401, 404),
    summary="A new signing secret, shown once",
)
async def rotate_secret(
    webhook_id: uuid.UUID, user: CurrentUser, session: SessionDep, box: BoxDep
) -> WebhookWithSecret:
    return await service.rotate(session, user, webhook_id, box)


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    responses=problems(401, 404, 422),
    summary="The delivery log, newest first",
)
async def deliveries(
    webhook_id: uuid.UUID,
    user: CurrentUser,
    session: SessionDep,
    cursor: Annotated[Cursor, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DeliveryPage:
    endpoint = await service.get(session, user, webhook_id)
    rows = await webhooks_repo.deliveries_page(
        session, endpoint.id, after=pagination.position(cursor), limit=limit + 1
    )
    page, nxt = pagination.cut(rows, limit)
    return DeliveryPage(items=[DeliveryRead.model_validate(d) for d in page], next_cursor=nxt)
