"""Settings of the analytics service."""

from __future__ import annotations

from herald_common.settings import (
    DatabaseSettings,
    PlatformSettings,
    RedisSettings,
    SecretsSettings,
)


class AnalyticsSettings(DatabaseSettings, RedisSettings, SecretsSettings, PlatformSettings):
    analytics_host: str = "127.0.0.1"
    analytics_port: int = 8003
