"""Idempotency-Key on POST /v1/posts, with Stripe's semantics.

The key row is inserted in the same transaction as the post. A concurrent request with the
same key blocks on the unique index until the first commits, then finds the stored response
and replays it; if the first rolled back, the second goes ahead as if it were first. The
same key with a different body is refused. Keys are kept 24 hours.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.errors import Conflict, Unprocessable
from herald_db.models import IdempotencyKey
from herald_db.repositories import idempotency as keys

HEADER = "Idempotency-Key"
# Printable ASCII, with no space at either end (a key is compared after stripping).
KEY_PATTERN = r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$"
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(Unprocessable):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key reused with a different request"


class IdempotencyInProgress(Conflict):
    slug = "idempotency-in-progress"
    title = "A request with this Idempotency-Key is still in progress"


def request_hash(payload: Any) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def validate_key(key: str) -> str:
    key = key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Unprocessable(f"{HEADER} must be 1 to {MAX_KEY_LENGTH} characters.", field=HEADER)
    return key


async def claim(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    fingerprint: str,
    now: datetime,
    ttl: timedelta,
) -> IdempotencyKey | None:
    """Take the key for this request (returns None) or return the earlier answer to replay."""
    await keys.drop_expired(session, user_id, key, before=now - ttl)
    if await keys.take(
        session, user_id=user_id, key=key, method=method, path=path, request_hash=fingerprint
    ):
        return None
    row = await keys.get(session, user_id, key)
    if row.request_hash != fingerprint or row.path != path or row.method != method:
        raise IdempotencyKeyReused(
            f"This {HEADER} was used with a different request; use a new key.", field=HEADER
        )
    if row.status_code is None:
        raise IdempotencyInProgress(
            "The first request with this key has not finished; retry shortly.",
            headers={"Retry-After": "1"},
        )
    return row


async def store(
    session: AsyncSession, *, user_id: uuid.UUID, key: str, status_code: int, body: dict[str, Any]
) -> None:
    row = await keys.get(session, user_id, key)
    row.status_code = status_code
    row.response_body = body
    await session.flush()
