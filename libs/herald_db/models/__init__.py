"""ORM models, one module per table."""

from herald_db.models.account import PublishingAccount
from herald_db.models.analytics import (
    AnalyticsBackfill,
    AnalyticsFetch,
    AnalyticsLatest,
    AnalyticsSnapshot,
    PlatformPattern,
)
from herald_db.models.attempt import PublishAttempt
from herald_db.models.calendar_feed import CalendarFeed
from herald_db.models.idempotency import IdempotencyKey
from herald_db.models.notification import Notification
from herald_db.models.oauth_state import OAuthState
from herald_db.models.post import Post
from herald_db.models.result import PostPlatformResult
from herald_db.models.user import User
from herald_db.models.webhook import WebhookDelivery, WebhookEndpoint

__all__ = [
    "AnalyticsBackfill",
    "AnalyticsFetch",
    "AnalyticsLatest",
    "AnalyticsSnapshot",
    "CalendarFeed",
    "IdempotencyKey",
    "Notification",
    "OAuthState",
    "PlatformPattern",
    "Post",
    "PostPlatformResult",
    "PublishAttempt",
    "PublishingAccount",
    "User",
    "WebhookDelivery",
    "WebhookEndpoint",
]
