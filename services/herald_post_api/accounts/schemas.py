"""Wire shapes of connected accounts. Tokens never appear here."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from herald_db.enums import Platform


class ConnectStart(BaseModel):
    authorize_url: str = Field(description="Send the user's browser here.")
    state: str = Field(description="Bound to the caller; checked once by the callback.")
    expires_at: datetime


class ConnectFinish(BaseModel):
    """What the platform sent back to the browser, posted by the user who started connecting."""

    model_config = ConfigDict(extra="forbid")

    state: str = Field(min_length=1, max_length=500)
    code: str | None = Field(None, min_length=1, max_length=2000)
    error: str | None = Field(
        None, max_length=500, description="The platform's `error` when it did not authorize."
    )


class CallbackLanding(BaseModel):
    """What a browser sent straight back to the API sees: nothing is connected by a GET."""

    platform: Platform
    state: str | None
    code: str | None
    error: str | None
    detail: str


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
