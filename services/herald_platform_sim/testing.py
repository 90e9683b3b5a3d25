"""Running the simulator for tests and benchmarks: in-process or as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
import uvicorn

from herald_platform_sim.app import create_app
from herald_platform_sim.settings import SimSettings
from herald_platform_sim.urls import platform_settings_kwargs


def listed_time(platform: str, received_at: float) -> datetime:
    """A post's creation time as its platform lists it, from its ``received_at`` in
    ``/_sim/published``: Graph (Instagram ``timestamp``, Facebook ``created_time``) to the
    second, X ``created_at`` and LinkedIn ``createdAt`` to the millisecond."""
    if platform.upper() in ("INSTAGRAM", "FACEBOOK"):
        return datetime.fromtimestamp(math.floor(received_at), UTC)
    return datetime.fromtimestamp(math.floor(received_at * 1000) / 1000, UTC)


class SimClient:
    """The admin API, for tests."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = httpx.AsyncClient(base_url=self.base_url, timeout=30)

    def platform_settings_kwargs(self) -> dict[str, str]:
        return platform_settings_kwargs(self.base_url)

    def media_url(self, name: str = "photo.jpg") -> str:
        return f"{self.base_url}/media/{name}"

    async def _call(self, method: str, path: str, body: Any = None) -> Any:
        r = await self.http.request(method, path, json=body)
        r.raise_for_status()
        return r.json()

    async def reset(self) -> None:
        await self._call("POST", "/_sim/reset")

    async def set_faults(self, **per_platform: dict[str, Any]) -> Any:
        return await self._call("PUT", "/_sim/faults", per_platform)

    async def script(
        self, platform: str, faults: list[dict[str, Any]], action: str = "publish"
    ) -> Any:
        return await self._call(
            "POST", "/_sim/script", {"platform": platform, "action": action, "faults": faults}
        )

    async def published(
        self, platform: str | None = None, account: str | None = None
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"platform": platform, "account": account}.items() if v}
        r = await self.http.get("/_sim/published", params=params)
        r.raise_for_status()
        items: list[dict[str, Any]] = r.json()["items"]
        return items

    async def delete_post(self, external_id: str) -> Any:
        """Delete a published post on its platform, as its author would."""
        return await self._call("DELETE", f"/_sim/published/{quote(external_id, safe='')}")

    async def requests(self) -> dict[str, dict[str, int]]:
        data: dict[str, dict[str, int]] = await self._call("GET", "/_sim/requests")
        return data

    async def revoke(self, platform: str, login: str | None = None) -> Any:
        return await self._call("POST", "/_sim/revoke", {"platform": platform, "login": login})

    async def expire_token(self, platform: str, login: str | None = None) -> Any:
        return await self._call("POST", "/_sim/expire", {"platform": platform, "login": login})

    async def set_rate_limit(self, platform: str, limit: int, window: float) -> Any:
        return await self._call(
            "PUT", "/_sim/rate_limits", {platform: {"limit": limit, "window": window}}
        )

    async def advance_clock(self, seconds: float) -> Any:
        return await self._call("POST", "/_sim/clock", {"advance": seconds})

    async def aclose(self) -> None:
        await self.http.aclose()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def run_in_process(settings: SimSettings | None = None) -> AsyncIterator[SimClient]:
    port = free_port()
    settings = settings or SimSettings(port=port)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings), host="127.0.0.1", port=port, access_log=False, log_level="warning"
        )
    )
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 20
    while not server.started:
        if task.done():
            task.result()
        if time.monotonic() > deadline:
            raise TimeoutError("the simulator did not start")
        await asyncio.sleep(0.01)
    client = SimClient(f"http://127.0.0.1:{port}")
    try:
        yield client
    finally:
        await client.aclose()
        server.should_exit = True
        await task


@contextlib.contextmanager
def start_sim_process(
    port: int | None = None, *, log: Any = None, **env: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """The simulator as a process; ``log`` (an open file) takes its output when given."""
    port = port or free_port()
    proc_env = dict(os.environ)
    proc_env.update({f"HERALD_SIM_{k.upper()}": str(v) for k, v in env.items()})
    proc = subprocess.Popen(
        [sys.executable, "-m", "herald_platform_sim", "--host", "127.0.0.1", "--port", str(port)],
        env=proc_env,
        stdout=log,
        stderr=subprocess.STDOUT if log is not None else None,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the simulator process did not start")
            time.sleep(0.05)
        yield proc, base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
