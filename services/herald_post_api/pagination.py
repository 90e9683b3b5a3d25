"""Opaque cursors over (created_at, id), newest first."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

from herald_common.errors import Unprocessable


def encode(created_at: datetime, row_id: uuid.UUID) -> str:
    raw = f"{created_at.isoformat()}|{row_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, rid = raw.split("|", 1)
        return datetime.fromisoformat(created), uuid.UUID(rid)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Unprocessable("The cursor is not valid.", field="cursor") from exc
