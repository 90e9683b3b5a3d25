"""The webhook delivery job: sign, send, record; retried with backoff, then given up."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from herald_common import metrics
from herald_common.logging import log_context
from herald_common.netguard import UnsafeDestination
from herald_common.webhooks import Outcome, send
from herald_db.enums import DeliveryStatus
from herald_db.repositories import webhooks as webhooks_repo
from herald_db.session import session_scope


async def deliver_webhook(ctx: dict[str, Any], delivery_id: str, attempt: int) -> str:
    with log_context(job_id=ctx.get("job_id")):
        outcome = await _deliver(ctx, delivery_id, attempt)
    if outcome in _COUNTED:
        metrics.WEBHOOK_DELIVERIES.labels(outcome.replace(" ", "_")).inc()
    return outcome


# What the job returns for an attempt that was made (the rest found nothing to do).
_COUNTED = {"delivered", "retry", "failed", "endpoint disabled"}


async def _deliver(ctx: dict[str, Any], delivery_id: str, attempt: int) -> str:
    settings = ctx["settings"]
    clock = ctx["clock"]
    box = ctx["box"]
    async with session_scope(ctx["sessionmaker"]) as session:
        row = await webhooks_repo.lock_delivery(session, uuid.UUID(delivery_id))
        if row is None:
            return "skipped"
        delivery, endpoint = row
        if delivery.status is not DeliveryStatus.PENDING or delivery.attempts != attempt:
            return "already handled"
        if not endpoint.is_active:
            delivery.status = DeliveryStatus.FAILED
            delivery.last_error = "endpoint disabled"
            return "endpoint disabled"
        now = clock()
        try:
            # Checked again at every delivery: the rules (or the URL) may have changed since
            # it was registered. The address is checked when the connection is made.
            ctx["webhook_destinations"].check_url(endpoint.url)
        except UnsafeDestination as exc:
            outcome = Outcome(False, None, f"destination refused: {exc}", 0, permanent=True)
        else:
            outcome = await send(
                ctx["webhook_http"],
                url=endpoint.url,
                secret=box.decrypt_str(endpoint.secret),
                message_id=delivery.message_id,
                body=delivery.payload,
                timestamp=now,
                timeout_seconds=settings.webhook_timeout_seconds,
            )
        delivery.attempts += 1
        delivery.last_status_code = outcome.status_code
        delivery.last_error = outcome.error
        if outcome.ok:
            delivery.status = DeliveryStatus.DELIVERED
            delivery.delivered_at = clock()
            delivery.next_attempt_at = None
            return "delivered"
        if outcome.permanent or delivery.attempts >= settings.webhook_max_attempts:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
            return "failed"
        backoff = settings.webhook_backoff_seconds
        wait = backoff[min(delivery.attempts - 1, len(backoff) - 1)]
        delivery.next_attempt_at = now + timedelta(seconds=wait)
        return "retry"
