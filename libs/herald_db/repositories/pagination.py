"""Keyset pages over (created_at, id), newest first: a total order, so a cursor is stable."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_

T = TypeVar("T")

# Where a page starts: the (created_at, id) of the last row of the page before it.
Position = tuple[datetime, uuid.UUID]


def newest_first(
    stmt: Select[T], created: Any, row_id: Any, after: Position | None, limit: int
) -> Select[T]:
    """``stmt`` newest first from just past ``after``, at most ``limit`` rows."""
    if after is not None:
        at, rid = after
        stmt = stmt.where(or_(created < at, and_(created == at, row_id < rid)))
    return stmt.order_by(created.desc(), row_id.desc()).limit(limit)
