"""Wire shapes of posts: PostCreate, PostUpdate, PostSchedule, PostRead, PostPage."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from herald_db.enums import Platform, PostStatus, ResultStatus
from herald_post_api.fields import IsoDateTime, TimeZoneName

SCHEDULED_AT_DOC = (
    "When to publish. Either an ISO 8601 time with an offset (`2026-03-29T09:00:00+02:00`, "
    "`...Z`), taken as that instant, or a local time without offset "
    "(`2026-03-29T09:00:00`), read in `timezone` (default: the user's time zone). A local "
    "time inside a daylight-saving gap is refused; a local time that occurs twice (the "
    "autumn overlap) means its first occurrence, still on daylight-saving time. Must be in "
    "the future."
)
MAX_MEDIA = 20
MAX_CONTENT = 100_000
PLATFORMS_DOC = "The platforms to publish on, each at most once."


class _PostFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    content: str | None = Field(None, max_length=MAX_CONTENT)
    media_urls: list[AnyHttpUrl] | None = Field(None, max_length=MAX_MEDIA)
    # Distinct platforms, so at most the four there are: the schema says uniqueItems and
    # leaves maxItems out (a list of five could only repeat one).
    platforms: list[Platform] | None = Field(
        None, min_length=1, description=PLATFORMS_DOC, json_schema_extra={"uniqueItems": True}
    )
    content_variants: dict[Platform, Annotated[str, Field(max_length=MAX_CONTENT)]] | None = Field(
        None, description="Optional text per platform, used instead of `content` there."
    )
    scheduled_at: IsoDateTime | None = Field(None, description=SCHEDULED_AT_DOC)
    timezone: TimeZoneName | None = Field(
        None, description="IANA zone for a `scheduled_at` given without offset."
    )

    @field_validator("platforms")
    @classmethod
    def _unique(cls, value: list[Platform] | None) -> list[Platform] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("platforms must not repeat")
        return value


class PostCreate(_PostFields):
    content: str = Field("", max_length=MAX_CONTENT)
    platforms: list[Platform] = Field(
        min_length=1, description=PLATFORMS_DOC, json_schema_extra={"uniqueItems": True}
    )
    status: Literal["DRAFT", "SCHEDULED"] | None = Field(
        None,
        description="DRAFT or SCHEDULED; by default SCHEDULED when `scheduled_at` is given, "
        "DRAFT otherwise.",
    )


class PostUpdate(_PostFields):
    """Fields to change; absent fields stay as they are."""


class PostSchedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scheduled_at: IsoDateTime | None = Field(
        None, description=SCHEDULED_AT_DOC + " Absent or null: keep the post's current time."
    )
    timezone: TimeZoneName | None = Field(
        None, description="IANA zone for a `scheduled_at` given without offset."
    )


class PlatformResultRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    platform: Platform
    status: ResultStatus
    external_post_id: str | None
    error_kind: str | None
    error_message: str | None
    attempts: int
    next_attempt_at: datetime | None
    published_at: datetime | None
    unknown_since: datetime | None = Field(
        default=None,
        description="Set while the outcome of an attempt that started at this time is unknown "
        "(the request may have reached the platform): Herald asks the platform before it sends "
        "again, after a settle time. Null once a check has answered.",
    )


class PostRead(BaseModel):
    id: uuid.UUID
    status: PostStatus
    content: str
    media_urls: list[str]
    platforms: list[Platform]
    content_variants: dict[Platform, str]
    scheduled_at: datetime | None = Field(description="UTC")
    scheduled_at_local: datetime | None = Field(description="The same instant in `timezone`")
    timezone: str = Field(description="The user's time zone, used for `scheduled_at_local`")
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None = None
    results: list[PlatformResultRead] = Field(default_factory=list)


class PostPage(BaseModel):
    items: list[PostRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
