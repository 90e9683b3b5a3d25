"""The shared httpx client for workers, sized for the fan-out.

httpx's own transport slows down badly under many concurrent requests on this kind of
machine (encode/httpx#3215); the httpx-aiohttp transport keeps httpx's API over aiohttp's
connection pool. Both are offered so the benchmark can compare them in one run.
"""

from __future__ import annotations

import httpx

from herald_common.settings import PlatformSettings


def make_client(
    settings: PlatformSettings, *, max_connections: int = 200, transport: str = "aiohttp"
) -> httpx.AsyncClient:
    timeout = httpx.Timeout(settings.http_timeout_seconds, connect=5.0)
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        return httpx.AsyncClient(transport=AiohttpTransport(limits=limits), timeout=timeout)
    return httpx.AsyncClient(limits=limits, timeout=timeout)
