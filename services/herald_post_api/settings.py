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
    # Bodies larger than this are read and checked one request at a time (small ones never
    # wait for them).
    large_body_bytes: int = 64 * 1024
    page_size_default: int = 50
    page_size_max: int = 200
    idempotency_ttl_hours: int = 24
    # Login attempts allowed per account and per client address in one window; past
    # either, 429 with Retry-After. A successful login does not count.
    login_attempts_per_account: int = 10
    login_attempts_per_address: int = 50
    login_window_seconds: int = 900
    # Threads for Argon2 hashes and long content checks, at most this many at once;
    # empty: one less than the machine's cores (at least one).
    cpu_threads: int | None = None
    # Prefix of the Redis keys the API writes (login throttling).
    redis_prefix: str = "herald"
    # Browser origins allowed to call the API (comma-separated, e.g.
    # https://app.example.com); empty: no cross-origin access.
    cors_origins: str = ""
