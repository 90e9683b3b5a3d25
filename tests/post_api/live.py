"""The post API as a real process: uvicorn on a free loopback port, for tests that need real
HTTP (separate connections, a server under load, schemathesis against the live app)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from herald_devrun.infra import free_port


@dataclass
class LiveApi:
    base_url: str
    process: subprocess.Popen[bytes]
    log: Path


def _spawn(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    full = dict(os.environ)
    full.update(env)
    full.update({"HERALD_API_HOST": "127.0.0.1", "HERALD_API_PORT": str(port)})
    full.setdefault("HERALD_LOG_LEVEL", "WARNING")
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "herald_post_api"],
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


@asynccontextmanager
async def run_api(env: dict[str, str], log: Path, *, seconds: float = 60) -> AsyncIterator[LiveApi]:
    port = free_port()
    proc = _spawn(env, port, log)
    api = LiveApi(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + seconds
        async with httpx.AsyncClient() as http:
            while True:
                if proc.poll() is not None:
                    raise AssertionError(f"the API exited: {_tail(log)}")
                try:
                    if (await http.get(api.base_url + "/readyz", timeout=1)).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"the API was not ready: {_tail(log)}")
                await asyncio.sleep(0.05)
        yield api
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
