"""Wire shapes of registration and login."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from herald_post_api.fields import TimeZoneName


class UserRegister(BaseModel):
    email: EmailStr = Field(
        description="An address mail can reach: a quoted local part, an IP address after "
        "the @ or a special-use domain (.test, .invalid, .localhost, ...) is refused (422)."
    )
    password: str = Field(min_length=8, max_length=256)
    timezone: TimeZoneName = "UTC"


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
