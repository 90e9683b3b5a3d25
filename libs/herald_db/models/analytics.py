from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from herald_db.base import Base
from herald_db.enums import FetchStatus, Platform, enum_column


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
    # The planned fetch this snapshot answers: one snapshot per fetch, however often the
    # fetch is run (a collector that dies after the request leaves runs it again).
    fetch_id: Mapped[int | None] = mapped_column(
        BigInteger, ForeignKey("analytics_fetches.id", ondelete="SET NULL"), unique=True
    )


class AnalyticsFetch(Base):
    """A planned metrics fetch: one per (platform result, checkpoint), durable in Postgres.

    Planned by a trigger when a platform result becomes SUCCEEDED (so a fetch is planned
    in the same transaction that records the publication), or by the collector's backfill.
    Collectors claim due rows with ``FOR UPDATE SKIP LOCKED`` and push ``next_at`` forward
    by a lease, so a collector that dies leaves its rows to be claimed again.
    """

    __tablename__ = "analytics_fetches"
    __table_args__ = (
        UniqueConstraint("result_id", "checkpoint"),
        Index("ix_analytics_fetches_due", "next_at", postgresql_where=text("status = 'PENDING'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=True)
    result_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("post_platform_results.id", ondelete="CASCADE")
    )
    checkpoint: Mapped[str] = mapped_column(String(8))
    # When the checkpoint falls (published_at + its offset).
    due_at: Mapped[datetime]
    # When a collector may take it next: due_at, then a lease, then a retry's time.
    next_at: Mapped[datetime]
    status: Mapped[FetchStatus] = mapped_column(
        enum_column(FetchStatus, "fetch_status"), default=FetchStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None]


class AnalyticsLatest(Base):
    """Each (post, platform)'s newest figures, kept as snapshots arrive: what reports read.

    Reports aggregate these rows in SQL; a user with 100,000 snapshots has a quarter as
    many rows here, and each carries what the reports filter and group by.
    """

    __tablename__ = "analytics_latest"
    __table_args__ = (
        Index("ix_analytics_latest_user_platform", "user_id", "platform", "published_at"),
        Index("ix_analytics_latest_user_published", "user_id", "published_at"),
    )

    result_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("post_platform_results.id", ondelete="CASCADE"), primary_key=True
    )
    post_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[Platform] = mapped_column(enum_column(Platform, "platform"))
    published_at: Mapped[datetime]
    likes: Mapped[int] = mapped_column(BigInteger)
    shares: Mapped[int] = mapped_column(BigInteger)
    comments: Mapped[int] = mapped_column(BigInteger)
    impressions: Mapped[int] = mapped_column(BigInteger)
    fetched_at: Mapped[datetime]


class PlatformPattern(Base):
    """Engagement by local hour of the week across all users, per platform (refreshed by
    the analytics service). Only aggregates: a slot with posts from fewer than a handful of
    users is not used, so nobody's own figures can be read back from it. Hour -1 holds the
    platform's overall figures."""

    __tablename__ = "analytics_platform_pattern"

    platform: Mapped[Platform] = mapped_column(enum_column(Platform, "platform"), primary_key=True)
    hour_of_week: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    posts: Mapped[int]
    users: Mapped[int]
    rate_sum: Mapped[float]
    refreshed_at: Mapped[datetime]


class AnalyticsBackfill(Base):
    """Progress of planning fetches for posts published before collection existed: the
    collector walks published results once, in chunks, and can resume where it stopped."""

    __tablename__ = "analytics_backfill"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    cursor: Mapped[uuid.UUID | None]
    planned: Mapped[int] = mapped_column(BigInteger, default=0)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
