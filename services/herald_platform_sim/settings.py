"""Settings of the simulator (prefix HERALD_SIM_)."""

from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class SimSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="HERALD_SIM_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8100
    seed: int = 7
    # JSON: {"TWITTER": {"error_rate": 0.1, "latency_ms": 100, ...}, ...}
    faults: str = ""
    # Seconds an Instagram container stays IN_PROGRESS.
    container_delay_seconds: float = 0.0
    # X: posts per window per user on POST /2/tweets (documented: 100 per 15 minutes).
    x_post_limit: int = 100
    x_post_window_seconds: float = 900.0
    # Issue LinkedIn refresh tokens (only approved partners get them from LinkedIn).
    linkedin_refresh_tokens: bool = True
    # Duplicate-content window (X, LinkedIn, Facebook refuse the same text again).
    duplicate_window_seconds: float = 86400.0
