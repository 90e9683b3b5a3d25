"""Fetching media URLs safely: http(s) only, public addresses only, a size cap, a timeout.

The address checks are the shared guard's (:mod:`herald_common.netguard`): the host is
resolved once when the connection is made and the connection goes to the checked address,
and every redirect hop is checked again. Hosts listed in ``media_allowed_hosts`` (the
simulator's, in development and tests) skip the address check.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass, field
from urllib.parse import urljoin

import httpx
from PIL import Image, UnidentifiedImageError

from herald_common.netguard import (
    Destinations,
    Resolver,
    Unresolvable,
    UnsafeDestination,
    guarded_client,
    parse_hosts,
    system_resolver,
)
from herald_common.settings import PlatformSettings
from herald_platforms.errors import Rejected, Transient

MAX_REDIRECTS = 5


@dataclass
class MediaGuard:
    allowed_hosts: frozenset[str]
    max_bytes: int
    timeout: float
    resolver: Resolver = system_resolver
    destinations: Destinations = field(init=False)

    def __post_init__(self) -> None:
        self.destinations = Destinations(
            schemes=frozenset({"http", "https"}),
            allowed_hosts=frozenset(h.strip().lower() for h in self.allowed_hosts),
            resolver=self.resolver,
            resolve_timeout=self.timeout,
        )

    @classmethod
    def from_settings(
        cls, settings: PlatformSettings, resolver: Resolver = system_resolver
    ) -> MediaGuard:
        hosts = parse_hosts(settings.media_allowed_hosts)
        return cls(hosts, settings.media_max_bytes, settings.media_timeout_seconds, resolver)

    async def check_url(self, url: str) -> None:
        """Refuse URLs that are not http(s) or that lead to a non-public address.

        For platforms that fetch the media themselves (Instagram, Facebook).
        """
        try:
            await self.destinations.check(url)
        except Unresolvable as exc:
            raise Rejected(f"Media host cannot be resolved: {exc}") from exc
        except UnsafeDestination as exc:
            raise Rejected(f"Media URL refused: {exc}") from exc

    async def fetch(self, url: str) -> tuple[bytes, str]:
        """The bytes and content type of ``url``, following redirects one checked hop at a time.

        ``timeout`` bounds the whole fetch, not each read: a host that trickles a byte at a
        time never makes httpx's own timeouts fire.
        """
        try:
            async with asyncio.timeout(self.timeout):
                return await self._fetch(url)
        except TimeoutError as exc:
            raise Transient(f"Fetching the media took longer than {self.timeout:g} s") from exc

    async def _fetch(self, url: str) -> tuple[bytes, str]:
        async with guarded_client(
            self.destinations, timeout=self.timeout, max_connections=2
        ) as client:
            current = url
            for _ in range(MAX_REDIRECTS + 1):
                try:
                    self.destinations.check_url(current)
                    async with client.stream("GET", current) as response:
                        if response.is_redirect:
                            location = response.headers.get("location")
                            if not location:
                                raise Rejected("Media URL redirects nowhere")
                            current = urljoin(current, location)
                            continue
                        return await self._read(response, url)
                except UnsafeDestination as exc:
                    raise Rejected(f"Media URL refused: {exc}") from exc
                except httpx.TimeoutException as exc:
                    raise Transient("Fetching the media timed out") from exc
                except httpx.TransportError as exc:
                    raise Transient("Fetching the media failed") from exc
        raise Rejected("Media URL redirects too many times")

    async def _read(self, response: httpx.Response, url: str) -> tuple[bytes, str]:
        if response.status_code >= 500:
            raise Transient(f"Media host answered {response.status_code}")
        if response.status_code >= 400:
            raise Rejected(f"Media URL answered {response.status_code}: {url[:200]}")
        declared = int(response.headers.get("content-length") or 0)
        if declared > self.max_bytes:
            raise Rejected(f"Media is larger than {self.max_bytes} bytes")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body.extend(chunk)
            if len(body) > self.max_bytes:
                raise Rejected(f"Media is larger than {self.max_bytes} bytes")
        ctype = response.headers.get("content-type", "application/octet-stream")
        return bytes(body), ctype.split(";")[0].strip()


@dataclass(frozen=True, slots=True)
class Picture:
    """What an image's bytes say it is (whatever its Content-Type claimed)."""

    format: str  # JPEG, PNG, GIF, WEBP, ...
    width: int
    height: int


def picture(data: bytes) -> Picture | None:
    """The format and size of image bytes, or None when they are not an image."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            return Picture(str(img.format), img.width, img.height)
    except (UnidentifiedImageError, OSError, ValueError):
        return None
