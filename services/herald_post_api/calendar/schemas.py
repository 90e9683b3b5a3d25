"""Wire shapes of the calendar feed: its state, and its address (shown once)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class CalendarFeedRead(BaseModel):
    created_at: datetime
    rotated_at: datetime = Field(description="When the current address was made.")


class CalendarFeedSecret(CalendarFeedRead):
    """The feed with its secret address: shown only in the answer that made it."""

    url: str = Field(
        description="The feed's secret address (https): anyone who has it can read the "
        "calendar, so share it only with a calendar app. Rotate or revoke it at any time.",
        examples=[
            "https://herald.example.com/v1/calendar/hcal_3q2-7wXs4kH0aJbVn6r1T9uYpLmE5cZdRfGiOoQx8Ns.ics"
        ],
    )
    webcal_url: str = Field(
        description="The same address with the webcal:// scheme, which opens the "
        "subscription dialog of most calendar apps.",
    )
