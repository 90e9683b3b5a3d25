from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from herald_db.base import Base, TimestampMixin, new_id
from herald_db.enums import PostStatus, enum_column


class Post(TimestampMixin, Base):
    __tablename__ = "posts"
    __table_args__ = (
        # The scheduler's due query touches only SCHEDULED rows, so its cost follows the
        # number of scheduled posts, not the size of the table.
        Index(
            "ix_posts_due",
            "scheduled_at",
            postgresql_where=text("status = 'SCHEDULED'"),
        ),
        # Leases of claimed posts, for taking back work no live worker holds.
        Index(
            "ix_posts_lease",
            "lease_expires_at",
            postgresql_where=text("status = 'PUBLISHING'"),
        ),
        # Listing a user's posts newest first with a stable cursor.
        Index("ix_posts_user_created", "user_id", "created_at", "id"),
        # A user's posts by time, for the calendar feed.
        Index("ix_posts_user_scheduled", "user_id", "scheduled_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    content: Mapped[str] = mapped_column(Text, default="")
    media_urls: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    platforms: Mapped[list[str]] = mapped_column(ARRAY(String(16)), default=list)
    # Optional per-platform text, keyed by platform name.
    content_variants: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    scheduled_at: Mapped[datetime | None]
    # The zone the user scheduled in, for showing the time back as they wrote it.
    timezone: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[PostStatus] = mapped_column(
        enum_column(PostStatus, "post_status"), default=PostStatus.DRAFT
    )
    lease_expires_at: Mapped[datetime | None]
    # Bumped at every claim, so each hand-over to the publisher has its own job id.
    claim_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    claimed_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
