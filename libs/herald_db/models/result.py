from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from herald_db.base import Base, TimestampMixin, new_id
from herald_db.enums import Platform, ResultStatus, enum_column


class PostPlatformResult(TimestampMixin, Base):
    """One row per (post, platform): where that platform stands for that post."""

    __tablename__ = "post_platform_results"
    __table_args__ = (
        UniqueConstraint("post_id", "platform"),
        Index(
            "ix_post_platform_results_retry_due",
            "next_attempt_at",
            postgresql_where=text("status = 'RETRY_WAIT'"),
        ),
        Index(
            "ix_post_platform_results_published",
            "published_at",
            postgresql_where=text("status = 'SUCCEEDED'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    platform: Mapped[Platform] = mapped_column(enum_column(Platform, "platform"))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("publishing_accounts.id", ondelete="SET NULL")
    )
    status: Mapped[ResultStatus] = mapped_column(
        enum_column(ResultStatus, "result_status"), default=ResultStatus.PENDING
    )
    external_post_id: Mapped[str | None] = mapped_column(String(255))
    error_kind: Mapped[str | None] = mapped_column(String(32))
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]
    # While SENDING: until when the worker that sent holds the attempt. Past it, the outcome
    # is unknown and the platform is asked before anything is sent again.
    send_lease_until: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    # Set while a request may have gone out without Herald knowing whether the platform
    # took it: from the moment an attempt is written down until its outcome is certain,
    # and after an unknown outcome until a check of the platform has answered. While set,
    # no attempt sends before checking. The start of the attempt in question.
    unknown_since: Mapped[datetime | None]
    # An id-bearing signal of that attempt, checked before any text (an Instagram
    # container id, whose status_code says whether it was published).
    pending_ref: Mapped[str | None] = mapped_column(String(255))
