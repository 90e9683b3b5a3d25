"""Publishing accounts."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from herald_db.enums import Platform
from herald_db.models import OAuthState, PublishingAccount
from herald_db.repositories import events


async def active_platforms(session: AsyncSession, user_id: uuid.UUID) -> set[Platform]:
    rows = await session.execute(
        select(PublishingAccount.platform).where(
            PublishingAccount.user_id == user_id,
            PublishingAccount.is_active.is_(True),
            PublishingAccount.needs_reconnect.is_(False),
        )
    )
    return {Platform(p) for p in rows.scalars()}


async def usable_ids(session: AsyncSession, user_id: uuid.UUID) -> set[uuid.UUID]:
    """The user's accounts that can post now (active, not waiting to be reconnected)."""
    rows = await session.execute(
        select(PublishingAccount.id).where(
            PublishingAccount.user_id == user_id,
            PublishingAccount.is_active.is_(True),
            PublishingAccount.needs_reconnect.is_(False),
        )
    )
    return set(rows.scalars())


async def list_for_user(session: AsyncSession, user_id: uuid.UUID) -> Sequence[PublishingAccount]:
    rows = await session.execute(
        select(PublishingAccount)
        .where(PublishingAccount.user_id == user_id)
        .order_by(PublishingAccount.platform, PublishingAccount.created_at)
    )
    return rows.scalars().all()


async def get_for_user(
    session: AsyncSession, user_id: uuid.UUID, account_id: uuid.UUID
) -> PublishingAccount | None:
    rows = await session.execute(
        select(PublishingAccount).where(
            PublishingAccount.id == account_id, PublishingAccount.user_id == user_id
        )
    )
    return rows.scalar_one_or_none()


async def by_external_id(
    session: AsyncSession, user_id: uuid.UUID, platform: Platform, external_account_id: str
) -> PublishingAccount | None:
    """The user's account on ``platform`` with the platform's own id, whatever its state."""
    rows = await session.execute(
        select(PublishingAccount).where(
            PublishingAccount.user_id == user_id,
            PublishingAccount.platform == platform,
            PublishingAccount.external_account_id == external_account_id,
        )
    )
    return rows.scalar_one_or_none()


async def use_oauth_state(
    session: AsyncSession, state_hash: str, user_id: uuid.UUID, *, now: datetime
) -> OAuthState | None:
    """Mark the user's OAuth state used and return it; None when it is unknown, another
    user's, already used or expired (one UPDATE, so only one caller ever gets it)."""
    return (
        await session.execute(
            update(OAuthState)
            .where(
                OAuthState.state_hash == state_hash,
                OAuthState.user_id == user_id,
                OAuthState.used_at.is_(None),
                OAuthState.expires_at > now,
            )
            .values(used_at=now)
            .returning(OAuthState)
        )
    ).scalar_one_or_none()


async def active_for_platform(
    session: AsyncSession, user_id: uuid.UUID, platform: Platform
) -> PublishingAccount | None:
    """The account a post uses on ``platform``: the most recently connected active one."""
    rows = await session.execute(
        select(PublishingAccount)
        .where(
            PublishingAccount.user_id == user_id,
            PublishingAccount.platform == platform,
            PublishingAccount.is_active.is_(True),
        )
        .order_by(PublishingAccount.updated_at.desc())
        .limit(1)
    )
    return rows.scalar_one_or_none()


async def warn_expiring(session: AsyncSession, *, now: datetime, within: timedelta) -> int:
    """Tell each user whose account access ends within ``within`` and cannot be refreshed.

    Once per account and end date (the notification's dedupe key), so running it often is
    harmless.
    """
    rows = await session.execute(
        select(PublishingAccount).where(
            PublishingAccount.is_active.is_(True),
            PublishingAccount.needs_reconnect.is_(False),
            PublishingAccount.access_ends_at.is_not(None),
            PublishingAccount.access_ends_at <= now + within,
        )
    )
    count = 0
    for account in rows.scalars():
        ends = account.access_ends_at
        assert ends is not None
        name = Platform(account.platform).label
        await events.emit(
            session,
            user_id=account.user_id,
            event_type="account.expiring",
            payload={
                "account_id": str(account.id),
                "platform": account.platform.value,
                "access_ends_at": ends.isoformat(),
            },
            now=now,
            notification=(
                f"Reconnect your {name} account soon",
                f"Herald's access to {account.display_name} on {name} ends on "
                f"{ends:%Y-%m-%d %H:%M} UTC and cannot be renewed automatically. Reconnect "
                "the account before then so scheduled posts keep going out.",
            ),
            dedupe_key=f"account.expiring:{account.id}:{ends.isoformat()}",
        )
        count += 1
    return count
