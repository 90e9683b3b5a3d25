"""Every encrypted column, read and rewritten in keyset batches (moving to a new key)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from herald_db.models import OAuthState, PublishingAccount, WebhookEndpoint


@dataclass(frozen=True)
class EncryptedColumn:
    label: str
    key: InstrumentedAttribute[Any]
    value: InstrumentedAttribute[Any]
    # Columns that must not move when the secret is rewritten (an account's updated_at
    # tells its user when they last changed it, not when the operator rotated a key).
    keep: tuple[InstrumentedAttribute[Any], ...] = ()


ENCRYPTED_COLUMNS = (
    EncryptedColumn(
        "account credentials",
        PublishingAccount.id,
        PublishingAccount.credentials,
        (PublishingAccount.updated_at,),
    ),
    EncryptedColumn(
        "webhook secrets", WebhookEndpoint.id, WebhookEndpoint.secret, (WebhookEndpoint.updated_at,)
    ),
    EncryptedColumn(
        "pending connection verifiers", OAuthState.state_hash, OAuthState.code_verifier
    ),
)


async def count(session: AsyncSession, column: EncryptedColumn) -> int:
    stmt = select(func.count()).select_from(column.key.class_).where(column.value.is_not(None))
    return int((await session.execute(stmt)).scalar_one())


async def batch_for_update(
    session: AsyncSession, column: EncryptedColumn, after: Any, limit: int
) -> list[tuple[Any, bytes]]:
    """The next ``limit`` rows after ``after`` in key order, locked until the commit."""
    stmt = select(column.key, column.value).where(column.value.is_not(None))
    if after is not None:
        stmt = stmt.where(column.key > after)
    stmt = stmt.order_by(column.key).limit(limit).with_for_update()
    return [(row[0], bytes(row[1])) for row in await session.execute(stmt)]


async def store(
    session: AsyncSession, column: EncryptedColumn, values: Sequence[tuple[Any, bytes]]
) -> None:
    if not values:
        return
    table = column.key.class_.__table__
    stmt = (
        update(table)
        .where(table.c[column.key.key] == bindparam("b_key"))
        .values(
            {
                column.value.key: bindparam("b_value"),
                **{c.key: table.c[c.key] for c in column.keep},
            }
        )
    )
    await session.execute(stmt, [{"b_key": k, "b_value": v} for k, v in values])
