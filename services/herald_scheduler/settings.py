"""Settings of the scheduler."""

from __future__ import annotations

from herald_common.settings import DatabaseSettings, PipelineSettings, RedisSettings


class SchedulerSettings(DatabaseSettings, RedisSettings, PipelineSettings):
    scheduler_host: str = "127.0.0.1"
    scheduler_port: int = 8001
    # Rows one claim statement takes; a burst is drained by repeating it.
    claim_batch: int = 500
    # Posts one publish job carries.
    job_batch: int = 50
    # The longest the scheduler sleeps without looking, even when nothing is due.
    max_sleep_seconds: float = 30.0
    # Accounts whose access ends this soon, with no way to refresh, are flagged to the user.
    expiry_warning_days: int = 7
    expiry_check_seconds: float = 600.0
