"""The shared httpx client for workers, sized for the fan-out.

httpx's own transport slows down badly under many concurrent requests on this kind of
machine (encode/httpx#3215); the httpx-aiohttp transport keeps httpx's API over aiohttp's
connection pool. Both are offered so the benchmark can compare them in one run.

aiohttp parses a URL given as text again and decodes the percent-escapes a query may keep
(``%3A`` becomes ``:``); LinkedIn's Rest.li 2.0 parameters need the URNs inside them
encoded, so the aiohttp session here is handed the URL exactly as httpx encoded it.
"""

from __future__ import annotations

import warnings
from typing import Any

import aiohttp
import httpx
from yarl import URL

from herald_common.settings import PlatformSettings

with warnings.catch_warnings():
    # aiohttp discourages subclassing its session; this one only changes how a URL is read.
    warnings.simplefilter("ignore", DeprecationWarning)

    class _ExactUrlSession(aiohttp.ClientSession):
        def request(self, method: str, url: Any, **kwargs: Any) -> Any:
            if isinstance(url, str):
                url = URL(url, encoded=True)
            return super().request(method, url, **kwargs)


def _aiohttp_session(limits: httpx.Limits) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        keepalive_timeout=limits.keepalive_expiry,
        ssl=httpx.create_ssl_context(),
        limit=limits.max_connections or 0,
    )
    return _ExactUrlSession(connector=connector)


def make_client(
    settings: PlatformSettings, *, max_connections: int = 200, transport: str = "aiohttp"
) -> httpx.AsyncClient:
    timeout = httpx.Timeout(settings.http_timeout_seconds, connect=5.0)
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    if transport == "aiohttp":
        from httpx_aiohttp import AiohttpTransport

        exact = AiohttpTransport(limits=limits, client=lambda: _aiohttp_session(limits))
        return httpx.AsyncClient(transport=exact, timeout=timeout)
    return httpx.AsyncClient(limits=limits, timeout=timeout)
