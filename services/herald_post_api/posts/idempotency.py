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

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.errors import Conflict, Unprocessable
from herald_db.models import IdempotencyKey
from herald_db.repositories import direct
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
    _replayable(row.method, row.path, row.request_hash, row.status_code, method, path, fingerprint)
    return row


def _replayable(
    method: str,
    path: str,
    request_hash: str,
    status_code: int | None,
    method_now: str,
    path_now: str,
    fingerprint: str,
) -> None:
    """Refuse a key held for another request, or for one that has not finished."""
    if request_hash != fingerprint or path != path_now or method != method_now:
        raise IdempotencyKeyReused(
            f"This {HEADER} was used with a different request; use a new key.", field=HEADER
        )
    if status_code is None:
        raise IdempotencyInProgress(
            "The first request with this key has not finished; retry shortly.",
            headers={"Retry-After": "1"},
        )


async def claim_direct(
    conn: asyncpg.Connection,
    *,
    user_id: uuid.UUID,
    key: str,
    method: str,
    path: str,
    fingerprint: str,
    now: datetime,
    ttl: timedelta,
) -> asyncpg.Record | None:
    """:func:`claim` on asyncpg directly (``POST /v1/posts``): None when the key is taken
    for this request, else the earlier answer's row (``status_code``, ``response_body``)."""
    await direct.drop_expired_key(conn, user_id, key, before=now - ttl)
    if await direct.take_key(
        conn, user_id=user_id, key=key, method=method, path=path, request_hash=fingerprint
    ):
        return None
    row = await direct.key(conn, user_id, key)
    _replayable(
        row["method"],
        row["path"],
        row["request_hash"],
        row["status_code"],
        method,
        path,
        fingerprint,
    )
    return row


async def store(
    session: AsyncSession, *, user_id: uuid.UUID, key: str, status_code: int, body: dict[str, Any]
) -> None:
    row = await keys.get(session, user_id, key)
    row.status_code = status_code
    row.response_body = body
    await session.flush()


async def store_direct(
    conn: asyncpg.Connection, *, user_id: uuid.UUID, key: str, status_code: int, body: str
) -> None:
    """:func:`store` on asyncpg directly; ``body`` is the answer's JSON text."""
    await direct.store_answer(conn, user_id, key, status_code, body)
