from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from herald_db.base import Base, TimestampMixin, new_id
from herald_db.enums import Platform, enum_column


class PublishingAccount(TimestampMixin, Base):
    """A user's connected account on one platform. ``credentials`` is encrypted JSON."""

    __tablename__ = "publishing_accounts"
    __table_args__ = (
        UniqueConstraint("user_id", "platform", "external_account_id"),
        Index("ix_publishing_accounts_user_platform", "user_id", "platform"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    platform: Mapped[Platform] = mapped_column(enum_column(Platform, "platform"))
    external_account_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(255), default="")
    credentials: Mapped[bytes] = mapped_column(LargeBinary)
    token_expires_at: Mapped[datetime | None]
    # When access ends for good unless the user reconnects (no refresh possible after it).
    access_ends_at: Mapped[datetime | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    needs_reconnect: Mapped[bool] = mapped_column(default=False)
    reconnect_reason: Mapped[str | None] = mapped_column(String(500))
    disconnected_at: Mapped[datetime | None]
