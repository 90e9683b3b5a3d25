"""Webhook endpoints: registration with a signing secret shown once, and their deliveries."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.crypto import SecretBox
from herald_common.errors import NotFound, Unprocessable
from herald_common.netguard import Destinations, UnsafeDestination
from herald_common.webhooks import new_secret
from herald_db.models import User, WebhookEndpoint
from herald_db.repositories import webhooks as webhooks_repo
from herald_post_api.webhooks.schemas import WebhookRead, WebhookWithSecret


class WebhookNotFound(NotFound):
    slug = "webhook-not-found"
    title = "Webhook not found"


class UnsafeWebhookUrl(Unprocessable):
    slug = "unsafe-webhook-url"
    title = "Webhook URL not allowed"


async def check_url(destinations: Destinations, url: str) -> None:
    """The shared guard's checks, the lookup included (the delivery checks them again)."""
    try:
        await destinations.check(url)
    except UnsafeDestination as exc:
        raise UnsafeWebhookUrl(f"This webhook URL is not allowed: {exc}", field="url") from exc


def to_read(e: WebhookEndpoint) -> WebhookRead:
    return WebhookRead(
        id=e.id,
        url=e.url,
        event_types=list(e.event_types),
        description=e.description,
        is_active=e.is_active,
        created_at=e.created_at,
        updated_at=e.updated_at,
    )


async def get(session: AsyncSession, user: User, webhook_id: uuid.UUID) -> WebhookEndpoint:
    row = await webhooks_repo.endpoint_for_user(session, user.id, webhook_id)
    if row is None:
        raise WebhookNotFound(f"No webhook {webhook_id}.")
    return row


async def create(
    session: AsyncSession,
    user: User,
    url: str,
    event_types: list[str],
    description: str,
    box: SecretBox,
) -> WebhookWithSecret:
    secret = new_secret()
    endpoint = WebhookEndpoint(
        user_id=user.id,
        url=url,
        event_types=event_types,
        description=description,
        secret=box.encrypt_str(secret),
    )
    session.add(endpoint)
    await session.flush()
    await session.refresh(endpoint)
    return WebhookWithSecret(**to_read(endpoint).model_dump(), secret=secret)


async def rotate(
    session: AsyncSession, user: User, webhook_id: uuid.UUID, box: SecretBox
) -> WebhookWithSecret:
    endpoint = await get(session, user, webhook_id)
    secret = new_secret()
    endpoint.secret = box.encrypt_str(secret)
    await session.flush()
    await session.refresh(endpoint)
    return WebhookWithSecret(**to_read(endpoint).model_dump(), secret=secret)
