"""Opaque cursors over (created_at, id), newest first."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from herald_common.errors import Unprocessable
from herald_db.repositories.pagination import Position

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


def position(cursor: str | None) -> Position | None:
    """Where the page after ``cursor`` starts (None: at the newest row)."""
    return decode(cursor) if cursor else None


def cut(rows: Sequence[T], limit: int) -> tuple[list[T], str | None]:
    """The page and the cursor for the next one (None on the last page), from up to
    ``limit + 1`` rows read newest first."""
    page = list(rows[:limit])
    if len(rows) <= limit:
        return page, None
    last: Any = page[-1]
    return page, encode(last.created_at, last.id)
