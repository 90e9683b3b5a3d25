"""Signing and sending webhooks per the Standard Webhooks spec."""

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


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int


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
    except httpx.TimeoutException:
        return Outcome(False, None, "timed out", _ms(started))
    except httpx.HTTPError as exc:
        return Outcome(False, None, f"connection failed: {type(exc).__name__}", _ms(started))
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code, None, _ms(started))
    return Outcome(False, response.status_code, f"HTTP {response.status_code}", _ms(started))


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)
