"""Wire shapes of registration and login."""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field, field_validator

from herald_common.timeutil import is_valid_timezone


class UserRegister(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    timezone: str = Field("UTC", description="IANA time zone, e.g. Europe/Paris")

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        if not is_valid_timezone(value):
            raise ValueError(f"'{value}' is not an IANA time zone")
        return value


class TokenRead(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int
