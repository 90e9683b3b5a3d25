"""Telling the user: in-app notifications and webhook deliveries, in the caller's transaction.

Deliveries are outbox rows: the scheduler relays those that are due to the publisher,
which signs and sends them (a trigger wakes the scheduler when one is written).
A ``dedupe_key`` makes emitting the same fact twice a no-op.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.enums import DeliveryStatus
from herald_db.models import Notification, WebhookDelivery, WebhookEndpoint

EVENT_TYPES = (
    "post.published",
    "post.failed",
    "account.needs_reconnect",
    "account.expiring",
    "account.usage_capped",
)


def message_id(dedupe_key: str | None, endpoint_id: uuid.UUID) -> str:
    if dedupe_key is None:
        return "msg_" + uuid.uuid4().hex
    digest = hashlib.sha256(f"{dedupe_key}|{endpoint_id}".encode()).hexdigest()[:32]
    return "msg_" + digest


Endpoints = dict[uuid.UUID, list[tuple[uuid.UUID, list[str]]]]


async def endpoints_of(session: AsyncSession, user_ids: Iterable[uuid.UUID]) -> Endpoints:
    """Each user's active webhook endpoints and the events they take (empty: all)."""
    out: Endpoints = {}
    rows = await session.execute(
        select(WebhookEndpoint.user_id, WebhookEndpoint.id, WebhookEndpoint.event_types).where(
            WebhookEndpoint.user_id.in_(list(user_ids)), WebhookEndpoint.is_active.is_(True)
        )
    )
    for user_id, endpoint_id, types in rows:
        out.setdefault(user_id, []).append((endpoint_id, list(types or [])))
    return out


async def emit(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    event_type: str,
    payload: dict[str, Any],
    now: datetime,
    notification: tuple[str, str] | None = None,
    dedupe_key: str | None = None,
    endpoints: Endpoints | None = None,
) -> None:
    """Record the event; pass ``endpoints`` (from :func:`endpoints_of`) when emitting many."""
    if notification is not None:
        title, body = notification
        await session.execute(
            insert(Notification)
            .values(
                id=uuid.uuid4(),
                user_id=user_id,
                kind=event_type,
                title=title[:255],
                body=body,
                data=payload,
                dedupe_key=dedupe_key,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["dedupe_key"])
        )
    if endpoints is None:
        endpoints = await endpoints_of(session, [user_id])
    targets = [
        endpoint_id
        for endpoint_id, types in endpoints.get(user_id, [])
        if not types or event_type in types
    ]
    if not targets:
        return
    envelope = {"type": event_type, "timestamp": now.isoformat(), "data": payload}
    for endpoint_id in targets:
        await session.execute(
            insert(WebhookDelivery)
            .values(
                id=uuid.uuid4(),
                endpoint_id=endpoint_id,
                message_id=message_id(dedupe_key, endpoint_id),
                event_type=event_type,
                payload=envelope,
                status=DeliveryStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["message_id"])
        )
