"""Wire shapes of the analytics reports."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field

from herald_db.enums import FetchStatus, Platform, ResultStatus


class Figures(BaseModel):
    likes: int
    shares: int
    comments: int
    impressions: int
    engagements: int = Field(description="likes + shares + comments")
    engagement_rate: float | None = Field(description="engagements / impressions; null at 0")
    fetched_at: datetime = Field(description="UTC")
    fetched_at_local: datetime = Field(description="The same instant in the user's zone")
    checkpoint: str | None = Field(None, description="1h, 6h, 24h or 7d after publication")


class FetchRead(BaseModel):
    checkpoint: str
    due_at: datetime
    status: FetchStatus
    finished_at: datetime | None
    error: str | None


class PlatformAnalytics(BaseModel):
    platform: Platform
    status: ResultStatus
    external_post_id: str | None
    published_at: datetime | None
    published_at_local: datetime | None
    latest: Figures | None = Field(description="The newest reading; null before the first")
    history: list[Figures] = Field(description="Every reading, oldest first: the curve")
    fetches: list[FetchRead] = Field(description="The planned readings and where they stand")
    deleted_on_platform: bool = Field(
        description="The post was deleted on the platform: no further readings are taken"
    )


class PostAnalytics(BaseModel):
    post_id: uuid.UUID
    timezone: str
    platforms: list[PlatformAnalytics]
    best_platform: Platform | None = Field(
        description="The platform with the most engagements in its latest reading (ties: "
        "the higher engagement rate)"
    )


class PlatformWeek(BaseModel):
    platform: Platform
    posts: int = Field(description="Posts published this week with at least one reading")
    impressions: int
    likes: int
    shares: int
    comments: int
    engagements: int
    engagement_rate: float | None = Field(description="engagements / impressions")


class WeekFigures(BaseModel):
    week: str
    posts: int
    reach: int = Field(description="Impressions of the posts published that week")
    engagements: int
    engagement_rate: float | None


class WeekChange(BaseModel):
    reach: int
    reach_pct: float | None = Field(description="Percent; null when last week had none")
    engagements: int
    engagement_rate_points: float | None = Field(
        description="This week's rate minus last week's, in percentage points"
    )


class WeeklySummary(BaseModel):
    week: str = Field(description="ISO week in the user's zone, YYYY-Www")
    timezone: str
    starts_at: datetime = Field(description="Monday 00:00 local, in UTC")
    ends_at: datetime = Field(description="The next Monday 00:00 local, in UTC")
    starts_at_local: datetime
    ends_at_local: datetime
    posts: int
    reach: int
    engagements: int
    engagement_rate: float | None
    platforms: list[PlatformWeek]
    best_platform: Platform | None = Field(description="The highest engagement rate this week")
    previous_week: WeekFigures
    change: WeekChange


class SlotRead(BaseModel):
    weekday: int = Field(description="0 = Monday ... 6 = Sunday, local")
    day: str
    hour: int = Field(description="Local hour of publication, 0-23")
    hour_of_week: int
    posts: int = Field(description="Sample size: the user's posts published in this slot")
    mean_rate: float | None = Field(description="Their mean engagement rate, unadjusted")
    rate: float = Field(description="The expected engagement rate, pulled towards the prior")
    confidence: float = Field(description="posts / (posts + 5): the share that is the slot's own")


class TopSlot(SlotRead):
    rank: int


class BestTimesRead(BaseModel):
    platform: Platform
    timezone: str
    posts: int = Field(description="The user's posts on the platform with figures")
    user_rate: float | None = Field(description="The user's own mean engagement rate")
    user_weight: float = Field(
        description="Weight of the user's own rate in each slot's prior (the rest is the "
        "platform's pattern across users)"
    )
    uses_platform_pattern: bool
    slots: list[SlotRead] = Field(description="All 168 slots, Monday 00:00 first")
    top: list[TopSlot] = Field(description="The three best slots")
