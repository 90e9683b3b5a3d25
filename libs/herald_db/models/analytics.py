from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from herald_db.base import Base
from herald_db.enums import Platform, enum_column


class AnalyticsSnapshot(Base):
    """One fetch of one post's metrics on one platform; the rows over time form its curve."""

    __tablename__ = "analytics_snapshots"
    __table_args__ = (Index("ix_analytics_post_platform", "post_id", "platform", "fetched_at"),)

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    platform: Mapped[Platform] = mapped_column(enum_column(Platform, "platform"))
    likes: Mapped[int] = mapped_column(BigInteger, default=0)
    shares: Mapped[int] = mapped_column(BigInteger, default=0)
    comments: Mapped[int] = mapped_column(BigInteger, default=0)
    impressions: Mapped[int] = mapped_column(BigInteger, default=0)
    fetched_at: Mapped[datetime]
