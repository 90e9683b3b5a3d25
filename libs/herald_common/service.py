"""Running a background service next to its small health HTTP server."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Awaitable, Callable, Iterator

import uvicorn
from fastapi import FastAPI

from herald_common.health import Check, Refresh, add_health_routes
from herald_common.metrics import HttpMetrics
from herald_common.requests import RequestContext
from herald_common.settings import InsecureSettings, SecretsSettings


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves signals to the service it runs beside."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def refuse_insecure_start(settings: SecretsSettings, service: str) -> None:
    """Exit with a message naming each secret left at its built-in value (outside dev)."""
    try:
        settings.require_own_secrets()
    except InsecureSettings as exc:
        raise SystemExit(f"herald {service}: refusing to start: {exc}") from None


def health_app(
    title: str, checks: Callable[[], dict[str, Check]], refresh: Refresh | None = None
) -> FastAPI:
    app = FastAPI(title=title, docs_url=None, redoc_url=None, openapi_url=None)
    add_health_routes(app, checks, refresh)
    app.add_middleware(RequestContext)
    app.add_middleware(HttpMetrics)
    return app


async def serve_http(app: FastAPI, host: str, port: int) -> uvicorn.Server:
    """Start ``app`` in the background; returns once it listens."""
    server = _QuietServer(
        uvicorn.Config(app, host=host, port=port, access_log=False, log_config=None)
    )
    task = asyncio.create_task(server.serve())
    server._herald_task = task  # type: ignore[attr-defined]
    while not server.started:
        if task.done():
            task.result()  # raises the reason it could not start
        await asyncio.sleep(0.01)
    return server


async def stop_http(server: uvicorn.Server) -> None:
    server.should_exit = True
    with contextlib.suppress(Exception):
        await server._herald_task  # type: ignore[attr-defined]


async def run_until_signalled(main: Callable[[asyncio.Event], Awaitable[None]]) -> None:
    """Run ``main(stop_event)``; SIGINT/SIGTERM set the event so it can finish cleanly."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await main(stop)
