from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, func
from sqlalchemy.orm import Mapped, mapped_column

from herald_db.base import Base, new_id


class CalendarFeed(Base):
    """A user's secret iCalendar feed: only the SHA-256 of its token is kept.

    One per user. Rotating replaces the hash (the old address stops working at once);
    revoking deletes the row.
    """

    __tablename__ = "calendar_feeds"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), unique=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(server_default=func.now())
    rotated_at: Mapped[datetime] = mapped_column(server_default=func.now())
