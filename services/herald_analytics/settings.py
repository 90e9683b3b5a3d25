"""Settings of the analytics service."""

from __future__ import annotations

from herald_common.settings import (
    DatabaseSettings,
    PipelineSettings,
    PlatformSettings,
    RedisSettings,
    SecretsSettings,
)


class AnalyticsSettings(
    DatabaseSettings, RedisSettings, SecretsSettings, PlatformSettings, PipelineSettings
):
    analytics_host: str = "127.0.0.1"
    analytics_port: int = 8003
    # Fetches one claim takes, whole accounts at a time (the last account taken may carry
    # it past this); a backlog is drained by repeating it.
    analytics_claim_batch: int = 2000
    # How long a claimed fetch is held before another collector may take it.
    analytics_lease_seconds: float = 120.0
    # The longest the collector sleeps without looking for due fetches.
    analytics_max_sleep_seconds: float = 30.0
    # (platform, account) batches fetched at once.
    analytics_concurrency: int = 20
    # Waits after the 1st, 2nd, ... failed fetch of a passing reason; after the last, fail.
    analytics_retry_delays_seconds: list[float] = [60.0, 300.0, 900.0, 3600.0]
    # A fetch whose account needs reconnecting waits for it this long past its time.
    analytics_reconnect_grace_days: float = 7.0
    # Posts published up to this many days before collection first ran get fetches planned.
    analytics_backfill_days: float = 30.0
    # How often the platforms' engagement pattern across users is recomputed.
    analytics_pattern_refresh_seconds: float = 600.0
    # Metric reads per account, "count/seconds" per platform, kept apart from the posting
    # limits above so reading never spends a post's slot. X: lookups of 100 posts each
    # (documented 5,000 per 15 min per user, 3,500 per app); Meta: batch calls of 50
    # (each operation counts against the account's call budget); LinkedIn: one call per
    # post and metric (four per post).
    metrics_rate_limit_twitter: str = "300/900"
    metrics_rate_limit_instagram: str = "200/3600"
    metrics_rate_limit_facebook: str = "200/3600"
    metrics_rate_limit_linkedin: str = "400/86400"
    # Publishing goes first: metric reads of an account wait while its posting window has
    # less than this share of its slots free.
    analytics_publish_reserve: float = 0.2
    # Shifts the service's clock by this many seconds (demos and tests travel in time;
    # leave at 0).
    analytics_clock_offset_seconds: float = 0.0

    def metrics_rate_limit(self, platform: str) -> tuple[int, float]:
        raw = getattr(self, f"metrics_rate_limit_{platform.lower()}")
        count, seconds = raw.split("/", 1)
        return int(count), float(seconds)
