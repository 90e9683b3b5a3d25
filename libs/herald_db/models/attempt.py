from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from herald_db.base import Base
from herald_db.enums import AttemptOutcome, Platform, enum_column


class PublishAttempt(Base):
    """Every call to a platform for a post, written before the request leaves."""

    __tablename__ = "publish_attempts"
    __table_args__ = (Index("ix_publish_attempts_post", "post_id", "started_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    result_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("post_platform_results.id", ondelete="CASCADE")
    )
    platform: Mapped[Platform] = mapped_column(enum_column(Platform, "platform"))
    attempt_no: Mapped[int]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[AttemptOutcome] = mapped_column(
        enum_column(AttemptOutcome, "attempt_outcome"), default=AttemptOutcome.SENDING
    )
    error_message: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int | None]
    # scheduled_at -> this request leaving, for the first attempt of a platform.
    lateness_ms: Mapped[int | None]
    external_post_id: Mapped[str | None] = mapped_column(String(255))
    worker: Mapped[str | None] = mapped_column(String(128))
