"""Settings of the publisher."""

from __future__ import annotations

from herald_common.settings import (
    DatabaseSettings,
    PipelineSettings,
    PlatformSettings,
    RedisSettings,
    SecretsSettings,
)


class PublisherSettings(
    DatabaseSettings, RedisSettings, SecretsSettings, PlatformSettings, PipelineSettings
):
    publisher_host: str = "127.0.0.1"
    publisher_port: int = 8002
    # Jobs one worker runs at once; each job carries a few posts.
    max_jobs: int = 50
    # How often an idle worker looks for jobs (arq's poll_delay).
    poll_delay_seconds: float = 0.02
    # Connections of the shared platform client: enough for the fan-out of max_jobs.
    http_max_connections: int = 1000
    # "aiohttp" (the httpx-aiohttp transport) or "httpx" (httpx's own).
    http_transport: str = "aiohttp"
    # Posts of one job published at once.
    posts_in_flight_per_job: int = 50
    # The most one (post, platform) send may take, all of it (refreshing a token, fetching
    # media, waiting for a container or media processing, the create). Past it the send
    # is stopped and its outcome is unknown. Never more than 80% of the lease, which is
    # also the job's timeout: a slow send must not make arq cancel the whole job.
    send_deadline_seconds: float = 90.0

    @property
    def send_deadline(self) -> float:
        return min(self.send_deadline_seconds, 0.8 * self.lease_seconds)
