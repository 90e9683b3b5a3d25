"""An account's stored credentials, read and written around a token renewal, under a lock
that serializes renewals of one account across every process. Never commits: the caller's
transaction (the renewal's own) does."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.models import PublishingAccount


@dataclass(frozen=True, slots=True)
class Stored:
    credentials: bytes
    is_active: bool
    needs_reconnect: bool
    reconnect_reason: str | None


async def lock_for_renewal(
    session: AsyncSession, account_id: uuid.UUID, wait_seconds: float
) -> None:
    """Take the account's renewal lock until the transaction ends, waiting at most
    ``wait_seconds`` for another holder (then the database raises lock_not_available)."""
    await session.execute(
        select(func.set_config("lock_timeout", f"{int(wait_seconds * 1000)}ms", True))
    )
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
        {"key": f"herald.token-renewal:{account_id}"},
    )


async def read(session: AsyncSession, account_id: uuid.UUID) -> Stored | None:
    row = (
        await session.execute(
            select(
                PublishingAccount.credentials,
                PublishingAccount.is_active,
                PublishingAccount.needs_reconnect,
                PublishingAccount.reconnect_reason,
            ).where(PublishingAccount.id == account_id)
        )
    ).one_or_none()
    return Stored(*row) if row is not None else None


async def store(
    session: AsyncSession,
    account_id: uuid.UUID,
    encrypted: bytes,
    expires_at: datetime | None,
    *,
    replacing: bytes,
) -> bool:
    """Write renewed credentials over ``replacing`` (the stored value they were renewed
    from). False when the row holds something else by now, e.g. the user reconnected."""
    changed = await session.execute(
        update(PublishingAccount)
        .where(PublishingAccount.id == account_id, PublishingAccount.credentials == replacing)
        # updated_at stays: it orders a user's accounts by when they were connected.
        .values(
            credentials=encrypted,
            token_expires_at=expires_at,
            updated_at=PublishingAccount.updated_at,
        )
        .returning(PublishingAccount.id)
    )
    return changed.scalar_one_or_none() is not None
