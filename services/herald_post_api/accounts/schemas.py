"""Wire shapes of connected accounts. Tokens never appear here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from herald_db.enums import Platform


class ConnectStart(BaseModel):
    authorize_url: str = Field(description="Send the user's browser here.")
    state: str = Field(description="Bound to the caller; checked once by the callback.")
    expires_at: datetime


class AccountRead(BaseModel):
    id: uuid.UUID
    platform: Platform
    external_account_id: str
    display_name: str
    state: Literal["active", "needs_reconnect", "disconnected"]
    reconnect_reason: str | None
    token_expires_at: datetime | None
    access_ends_at: datetime | None = Field(
        description="When access ends for good unless the user reconnects (null: no end known)."
    )
    expiring_soon: bool = Field(
        description="Access ends within 7 days and cannot be refreshed: reconnect before then."
    )
    created_at: datetime
    updated_at: datetime
