"""Examples of the analytics answers, shown in the OpenAPI document."""

from __future__ import annotations

from typing import Any

_READING = {
    "likes": 48,
    "shares": 6,
    "comments": 3,
    "impressions": 2310,
    "engagements": 57,
    "engagement_rate": 0.02467,
    "fetched_at": "2026-11-02T15:00:04Z",
    "fetched_at_local": "2026-11-02T10:00:04-05:00",
    "checkpoint": "24h",
}

POST_ANALYTICS: dict[str, Any] = {
    "post_id": "5f0c6f8e-3d1b-4a57-9a43-0f6d2b8c9e11",
    "timezone": "America/New_York",
    "platforms": [
        {
            "platform": "TWITTER",
            "status": "SUCCEEDED",
            "external_post_id": "1853829301456789504",
            "published_at": "2026-11-01T15:00:02Z",
            "published_at_local": "2026-11-01T10:00:02-05:00",
            "latest": _READING,
            "history": [
                {
                    **_READING,
                    "likes": 9,
                    "shares": 1,
                    "comments": 0,
                    "impressions": 410,
                    "engagements": 10,
                    "engagement_rate": 0.02439,
                    "fetched_at": "2026-11-01T16:00:03Z",
                    "fetched_at_local": "2026-11-01T11:00:03-05:00",
                    "checkpoint": "1h",
                },
                _READING,
            ],
            "fetches": [
                {
                    "checkpoint": "1h",
                    "due_at": "2026-11-01T16:00:02Z",
                    "status": "DONE",
                    "finished_at": "2026-11-01T16:00:03Z",
                    "error": None,
                },
                {
                    "checkpoint": "7d",
                    "due_at": "2026-11-08T15:00:02Z",
                    "status": "PENDING",
                    "finished_at": None,
                    "error": None,
                },
            ],
            "deleted_on_platform": False,
        }
    ],
    "best_platform": "TWITTER",
}

SUMMARY: dict[str, Any] = {
    "week": "2026-W44",
    "timezone": "America/New_York",
    "starts_at": "2026-10-26T04:00:00Z",
    "ends_at": "2026-11-02T05:00:00Z",
    "starts_at_local": "2026-10-26T00:00:00-04:00",
    "ends_at_local": "2026-11-02T00:00:00-05:00",
    "posts": 5,
    "reach": 12400,
    "engagements": 310,
    "engagement_rate": 0.025,
    "platforms": [
        {
            "platform": "TWITTER",
            "posts": 3,
            "impressions": 8400,
            "likes": 170,
            "shares": 20,
            "comments": 10,
            "engagements": 200,
            "engagement_rate": 0.0238,
        },
        {
            "platform": "LINKEDIN",
            "posts": 2,
            "impressions": 4000,
            "likes": 90,
            "shares": 12,
            "comments": 8,
            "engagements": 110,
            "engagement_rate": 0.0275,
        },
    ],
    "best_platform": "LINKEDIN",
    "previous_week": {
        "week": "2026-W43",
        "posts": 4,
        "reach": 10000,
        "engagements": 220,
        "engagement_rate": 0.022,
    },
    "change": {
        "reach": 2400,
        "reach_pct": 24.0,
        "engagements": 90,
        "engagement_rate_points": 0.3,
    },
}

_SLOT = {
    "weekday": 1,
    "day": "Tue",
    "hour": 9,
    "hour_of_week": 33,
    "posts": 12,
    "mean_rate": 0.041,
    "rate": 0.0372,
    "confidence": 0.706,
}

BEST_TIMES: dict[str, Any] = {
    "platform": "TWITTER",
    "timezone": "America/New_York",
    "posts": 140,
    "user_rate": 0.028,
    "user_weight": 0.875,
    "uses_platform_pattern": True,
    "slots": [
        {
            "weekday": 0,
            "day": "Mon",
            "hour": 0,
            "hour_of_week": 0,
            "posts": 0,
            "mean_rate": None,
            "rate": 0.0271,
            "confidence": 0.0,
        },
        _SLOT,
    ],
    "top": [{**_SLOT, "rank": 1}],
}

SVG = (
    "<svg xmlns='http://www.w3.org/2000/svg' version='1.1' width='788' height='308'>"
    "<rect class='cell' x='52' y='64' width='30' height='24' fill='#f1f5f9'>"
    "<title>Mon 00:00: 2.71% expected, 0 posts, confidence 0.00</title></rect>"
    "...</svg>"
)
