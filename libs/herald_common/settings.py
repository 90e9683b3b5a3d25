"""Settings mixins shared by the services.

Each service builds one settings object at start-up and passes it down; nothing here reads
the environment at import time. ``DATABASE_URL`` and ``REDIS_URL`` keep their customary
names; every other setting is prefixed ``HERALD_``.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/herald"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
# Public values, so a development machine works out of the box; outside dev the services
# refuse to start with them (see SecretsSettings.require_own_secrets).
DEV_ENCRYPTION_KEY = "To3FY_hC2rTloFvVVX-MLzyKlM5cPHd2_S28wCME5YY="
DEV_JWT_SECRET = "dev-only-change-me-0123456789abcdef0123456789abcdef"
MIN_JWT_SECRET_LENGTH = 32


class InsecureSettings(RuntimeError):
    """A setting that must not be left at its built-in value outside development."""


class BaseHeraldSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HERALD_", extra="ignore", env_file=None, populate_by_name=True
    )

    # "dev" allows the built-in secrets and plain-http webhooks; anything else is production.
    environment: Literal["dev", "production"] = "production"
    log_level: str = "INFO"
    # "json": one JSON object per line (request_id, job_id, post_id, platform where they
    # apply); "text": the same fields as key=value after the message.
    log_format: Literal["json", "text"] = "json"

    @property
    def is_dev(self) -> bool:
        return self.environment == "dev"


class DatabaseSettings(BaseHeraldSettings):
    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "HERALD_DATABASE_URL"),
    )
    db_pool_size: int = 10
    db_max_overflow: int = 10
    db_echo: bool = False


class RedisSettings(BaseHeraldSettings):
    redis_url: str = Field(
        DEFAULT_REDIS_URL,
        validation_alias=AliasChoices("REDIS_URL", "HERALD_REDIS_URL"),
    )


class SecretsSettings(BaseHeraldSettings):
    # Comma-separated Fernet keys, newest first: the first encrypts, all decrypt.
    encryption_keys: str = DEV_ENCRYPTION_KEY
    jwt_secret: str = DEV_JWT_SECRET
    jwt_ttl_seconds: int = 3600

    def require_own_secrets(self) -> None:
        """Outside dev, refuse the built-in secrets, naming each setting to change."""
        if self.is_dev:
            return
        wrong: list[str] = []
        if self.jwt_secret == DEV_JWT_SECRET:
            wrong.append(
                "HERALD_JWT_SECRET is the built-in development value; set a random secret of "
                "your own (python -c 'import secrets; print(secrets.token_urlsafe(48))')"
            )
        elif len(self.jwt_secret) < MIN_JWT_SECRET_LENGTH:
            wrong.append(
                f"HERALD_JWT_SECRET is shorter than {MIN_JWT_SECRET_LENGTH} characters; "
                "set a longer random secret"
            )
        keys = [k.strip() for k in self.encryption_keys.split(",") if k.strip()]
        if DEV_ENCRYPTION_KEY in keys:
            wrong.append(
                "HERALD_ENCRYPTION_KEYS holds the built-in development key; put a key of your "
                "own in front (python -c 'from cryptography.fernet import Fernet; "
                "print(Fernet.generate_key().decode())'), run python -m herald_db.reencrypt, "
                "then remove the built-in key"
            )
        if wrong:
            raise InsecureSettings(
                "; ".join(wrong) + ". (On a development machine, HERALD_ENVIRONMENT=dev "
                "allows the built-in values.)"
            )


class PlatformSettings(BaseHeraldSettings):
    """Where the platform APIs live and the app registrations Herald uses with them.

    Each ``*_base`` is the scheme and host of one of the platforms' real hosts (no trailing
    slash); the demo and the tests point them at the simulator, which serves every host
    under its own path prefix (see ``herald_platform_sim.urls``).
    """

    x_api_base: str = "https://api.x.com"
    x_web_base: str = "https://x.com"
    x_client_id: str = "herald-x-client"
    x_client_secret: str = "herald-x-secret"

    facebook_graph_base: str = "https://graph.facebook.com"
    facebook_web_base: str = "https://www.facebook.com"
    meta_graph_version: str = "v25.0"
    facebook_client_id: str = "herald-facebook-app"
    facebook_client_secret: str = "herald-facebook-secret"

    instagram_graph_base: str = "https://graph.instagram.com"
    instagram_web_base: str = "https://www.instagram.com"
    instagram_api_base: str = "https://api.instagram.com"
    instagram_client_id: str = "herald-instagram-app"
    instagram_client_secret: str = "herald-instagram-secret"

    linkedin_api_base: str = "https://api.linkedin.com"
    linkedin_web_base: str = "https://www.linkedin.com"
    # LinkedIn serves each monthly version for about a year: keep this within it.
    linkedin_version: str = "202610"
    linkedin_client_id: str = "herald-linkedin-client"
    linkedin_client_secret: str = "herald-linkedin-secret"

    # Where the platforms send the user's browser back: {base}/v1/accounts/{platform}/callback,
    # served by the frontend, which posts code and state to the API with the user's token.
    oauth_redirect_base: str = "http://127.0.0.1:8000"
    # Hosts media may be fetched from even though they resolve to private or loopback
    # addresses (the simulator's, in dev and tests). Comma-separated host or host:port.
    media_allowed_hosts: str = ""
    media_max_bytes: int = 20 * 1024 * 1024
    media_timeout_seconds: float = 10.0
    http_timeout_seconds: float = 15.0


class QueueSettings(BaseHeraldSettings):
    """The arq queue shared by the scheduler (which enqueues) and the publisher (which works)."""

    queue_name: str = "herald:queue"
    # Prefix of every other Redis key Herald writes (rate-limit windows, ...).
    redis_prefix: str = "herald"


class WebhookDeliverySettings(BaseHeraldSettings):
    # Waits after the 1st, 2nd, ... failed delivery (the last repeats); then give up.
    webhook_backoff_seconds: list[float] = [5, 30, 120, 600, 3600, 21600]
    webhook_max_attempts: int = 8
    webhook_timeout_seconds: float = 10.0
    # Hosts (host or host:port, comma-separated) a webhook may reach although they resolve
    # to a private or loopback address; outside dev they still need https.
    webhook_allowed_hosts: str = ""


class PipelineSettings(QueueSettings, WebhookDeliverySettings):
    """Timing of claims, leases and retries, and the publishing rate limits."""

    # How long a claimed post or a sent attempt is held before it is taken back.
    lease_seconds: float = 120.0
    # Delays before the 1st, 2nd and 3rd retry of a transient failure; after the last, fail.
    retry_delays_seconds: list[float] = [60.0, 300.0, 900.0]
    # An attempt whose outcome is unknown (no answer, a 5xx on a create, a worker that died
    # after sending) is checked against the platform no sooner than this after it started,
    # whatever the retry delays: a request that timed out on our side can still land. It
    # must outlast the client's timeout (http_timeout_seconds, 15 s) plus the longest a
    # platform takes to act on a request it received.
    unknown_settle_seconds: float = 180.0
    # A check that does not answer (the platform's read fails or times out) spends no
    # attempt: it is made again after the last retry delay, for this long after the
    # unknown attempt started; then the platform fails and the user is told to look.
    unknown_check_seconds: float = 86400.0
    # That check reads posts created since the attempt started less this margin, in case
    # the platform's clock runs behind ours.
    reconcile_skew_seconds: float = 60.0
    # Per-account publishing limits, "count/seconds" per platform. Defaults are the stricter
    # documented figures: X 100 posts per 15 min per user (the seed said 300), LinkedIn 100
    # per day, Instagram 100 per 24 h (read live from content_publishing_limit when
    # available), Facebook none documented (a generous guard).
    rate_limit_twitter: str = "100/900"
    rate_limit_linkedin: str = "100/86400"
    rate_limit_instagram: str = "100/86400"
    rate_limit_facebook: str = "200/3600"

    def rate_limit(self, platform: str) -> tuple[int, float]:
        raw = getattr(self, f"rate_limit_{platform.lower()}")
        count, seconds = raw.split("/", 1)
        return int(count), float(seconds)
