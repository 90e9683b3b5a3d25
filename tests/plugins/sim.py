"""The ``sim`` fixture: the platform simulator running in-process on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from herald_platform_sim.testing import SimClient, run_in_process


@pytest.fixture(scope="session")
async def sim() -> AsyncIterator[SimClient]:
    async with run_in_process() as client:
        yield client


@pytest.fixture
async def sim_clean(sim: SimClient) -> SimClient:
    await sim.reset()
    return sim
