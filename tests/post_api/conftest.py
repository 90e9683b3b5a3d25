"""Post API fixtures: the API as a real uvicorn process on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from herald_platform_sim.testing import SimClient
from tests.conftest import API_BASE
from tests.post_api.live import LiveApi, run_api


def api_env(database_url: str, redis_url: str, sim: SimClient) -> dict[str, str]:
    env = {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "HERALD_OAUTH_REDIRECT_BASE": API_BASE,
    }
    env.update({f"HERALD_{k.upper()}": v for k, v in sim.platform_settings_kwargs().items()})
    return env


@pytest.fixture(scope="session")
async def live_api(
    database_url: str, redis_url: str, sim: SimClient, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[LiveApi]:
    log = tmp_path_factory.mktemp("live-api") / "api.log"
    async with run_api(api_env(database_url, redis_url, sim), log) as api:
        yield api
