"""Opaque cursors over (created_at, id), newest first."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_

from herald_common.errors import Unprocessable

T = TypeVar("T")


def encode(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    """The position a cursor made by :func:`encode` holds; 422 naming ``cursor`` for anything
    else (a cursor edited by hand, cut short, or holding a time that is not a UTC instant)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, rid = raw.split("|", 1)
        at = datetime.fromisoformat(created)
        if at.tzinfo is None:
            raise ValueError("no offset")
        return at.astimezone(UTC), uuid.UUID(rid)
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise Unprocessable("The cursor is not valid.", field="cursor") from exc


def after(
    stmt: Select[Any], created: Any, row_id: Any, cursor: str | None, limit: int
) -> Select[Any]:
    """``stmt`` newest first from just past ``cursor``, one row more than ``limit``."""
    if cursor:
        at, rid = decode(cursor)
        stmt = stmt.where(or_(created < at, and_(created == at, row_id < rid)))
    return stmt.order_by(created.desc(), row_id.desc()).limit(limit + 1)


def cut(rows: Sequence[T], limit: int) -> tuple[list[T], str | None]:
    """The page and the cursor for the next one (None on the last page)."""
    page = list(rows[:limit])
    if len(rows) <= limit:
        return page, None
    last: Any = page[-1]
    return page, encode(last.created_at, last.id)
