"""Settings of the post API."""

from __future__ import annotations

from herald_common.settings import (
    DatabaseSettings,
    PlatformSettings,
    RedisSettings,
    SecretsSettings,
    WebhookDeliverySettings,
)


class PostApiSettings(
    DatabaseSettings, RedisSettings, SecretsSettings, PlatformSettings, WebhookDeliverySettings
):
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    max_body_bytes: int = 1024 * 1024
    page_size_default: int = 50
    page_size_max: int = 200
    idempotency_ttl_hours: int = 24
