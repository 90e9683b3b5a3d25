"""Post API fixtures: the API as a real uvicorn process on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from herald_platform_sim.testing import SimClient
from herald_post_api.settings import PostApiSettings
from tests.conftest import API_BASE
from tests.post_api.live import LiveApi, run_api


def api_env(settings: PostApiSettings, sim: SimClient) -> dict[str, str]:
    # The in-process app's settings, secrets included: both read the same rows.
    env = {
        "DATABASE_URL": settings.database_url,
        "REDIS_URL": settings.redis_url,
        "HERALD_ENVIRONMENT": settings.environment,
        "HERALD_JWT_SECRET": settings.jwt_secret,
        "HERALD_ENCRYPTION_KEYS": settings.encryption_keys,
        "HERALD_REDIS_PREFIX": settings.redis_prefix,
        "HERALD_OAUTH_REDIRECT_BASE": API_BASE,
    }
    env.update({f"HERALD_{k.upper()}": v for k, v in sim.platform_settings_kwargs().items()})
    return env


@pytest.fixture(scope="session")
async def live_api(
    settings: PostApiSettings, sim: SimClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LiveApi]:
    log = tmp_path_factory.mktemp("live-api") / "api.log"
    async with run_api(api_env(settings, sim), log) as api:
        yield api
