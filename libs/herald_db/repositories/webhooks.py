"""Webhook endpoints and deliveries."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.models import WebhookDelivery, WebhookEndpoint
from herald_db.repositories.claims import LEASE, NOW
from herald_db.repositories.pagination import Position, newest_first

CLAIM_DELIVERIES = f"""
WITH due AS (
    SELECT id FROM webhook_deliveries
    WHERE status = 'PENDING' AND next_attempt_at <= {NOW}
    ORDER BY next_attempt_at
    LIMIT :limit
    FOR UPDATE SKIP LOCKED
)
UPDATE webhook_deliveries AS d
SET next_attempt_at = {LEASE}
FROM due
WHERE d.id = due.id
RETURNING d.id, d.attempts
"""


async def claim_due_deliveries(
    session: AsyncSession, *, limit: int, lease: timedelta, shift: timedelta = timedelta()
) -> list[tuple[uuid.UUID, int]]:
    """Due PENDING deliveries (on the database's clock), pushed out by ``lease`` so nobody
    else takes them meanwhile."""
    rows = await session.execute(
        text(CLAIM_DELIVERIES), {"limit": limit, "lease": lease, "shift": shift}
    )
    return [(r.id, r.attempts) for r in rows]


async def lock_delivery(
    session: AsyncSession, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, WebhookEndpoint] | None:
    """The delivery, locked, with its endpoint; None when there is none or another worker
    holds it (SKIP LOCKED)."""
    row = (
        await session.execute(
            select(WebhookDelivery, WebhookEndpoint)
            .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
            .where(WebhookDelivery.id == delivery_id)
            .with_for_update(of=WebhookDelivery, skip_locked=True)
        )
    ).one_or_none()
    if row is None:
        return None
    delivery, endpoint = row
    return delivery, endpoint


async def endpoint_for_user(
    session: AsyncSession, user_id: uuid.UUID, webhook_id: uuid.UUID
) -> WebhookEndpoint | None:
    return (
        await session.execute(
            select(WebhookEndpoint).where(
                WebhookEndpoint.id == webhook_id, WebhookEndpoint.user_id == user_id
            )
        )
    ).scalar_one_or_none()


async def endpoints_for_user(
    session: AsyncSession, user_id: uuid.UUID
) -> Sequence[WebhookEndpoint]:
    """The user's endpoints, oldest first."""
    rows = await session.execute(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.user_id == user_id)
        .order_by(WebhookEndpoint.created_at)
    )
    return rows.scalars().all()


async def delete_endpoint(session: AsyncSession, endpoint_id: uuid.UUID) -> None:
    """The endpoint, and with it (ON DELETE CASCADE) its delivery log."""
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))


async def deliveries_page(
    session: AsyncSession, endpoint_id: uuid.UUID, *, after: Position | None, limit: int
) -> Sequence[WebhookDelivery]:
    """The endpoint's deliveries newest first from just past ``after``, at most ``limit``."""
    stmt = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    stmt = newest_first(stmt, WebhookDelivery.created_at, WebhookDelivery.id, after, limit)
    return (await session.execute(stmt)).scalars().all()
