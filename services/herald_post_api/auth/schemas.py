"""Wire shapes of registration and login."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from herald_post_api.fields import TimeZoneName


class UserRegister(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    timezone: TimeZoneName = "UTC"


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
