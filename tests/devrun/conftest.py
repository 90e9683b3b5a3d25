"""A fresh database and free ports for each ``make run`` a test starts."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from herald_devrun.infra import Server
from tests.conftest import RUN_ID, create_database, drop_database
from tests.devrun import stack


@pytest.fixture
def devrun_env(servers: tuple[Server, Server], tmp_path: Path) -> Iterator[dict[str, str]]:
    pg, rd = servers
    name = f"herald_test_{RUN_ID}_run_{uuid.uuid4().hex[:6]}"
    url = create_database(pg.url, name)
    try:
        yield stack.stack_env(url, rd.url, tmp_path / "data")
    finally:
        drop_database(pg.url, name)
