"""Signing and sending webhooks per the Standard Webhooks spec, through the shared guard.

Webhook URLs are user input: registration and every delivery pass them through
:mod:`herald_common.netguard` (public addresses only, the connection pinned to the address
that was checked, https only outside dev). Redirects are not followed.
"""

from __future__ import annotations

import base64
import json
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from herald_common.netguard import (
    Destinations,
    Resolver,
    UnsafeDestination,
    parse_hosts,
    system_resolver,
)
from herald_common.settings import WebhookDeliverySettings


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    # The destination itself is refused: trying again cannot help.
    permanent: bool = False


def destinations(
    settings: WebhookDeliverySettings, resolver: Resolver = system_resolver
) -> Destinations:
    """Where webhooks may be sent: https only outside dev, public addresses only."""
    return Destinations(
        schemes=frozenset({"http", "https"} if settings.is_dev else {"https"}),
        allowed_hosts=parse_hosts(settings.webhook_allowed_hosts),
        resolver=resolver,
        resolve_timeout=settings.webhook_timeout_seconds,
    )


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    signature = Webhook(secret).sign(message_id, timestamp, body)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": "Herald-Webhooks/1",
    }


async def send(
    client: httpx.AsyncClient,
    *,
    url: str,
    secret: str,
    message_id: str,
    body: dict[str, Any],
    timestamp: datetime,
    timeout_seconds: float = 10.0,
) -> Outcome:
    raw = json.dumps(body, separators=(",", ":"))
    headers = sign(secret, message_id, timestamp, raw)
    started = time.perf_counter()
    try:
        response = await client.post(url, content=raw, headers=headers, timeout=timeout_seconds)
    except UnsafeDestination as exc:
        return Outcome(False, None, f"destination refused: {exc}", _ms(started), permanent=True)
    except httpx.TimeoutException:
        return Outcome(False, None, "timed out", _ms(started))
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"connection failed: {type(exc).__name__}", _ms(started))
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code, None, _ms(started))
    return Outcome(False, response.status_code, f"HTTP {response.status_code}", _ms(started))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
