"""Fetching media URLs safely: http(s) only, public addresses only, a size cap, a timeout.

Every hop of a redirect is checked again. Hosts listed in ``media_allowed_hosts`` (the
simulator's, in development and tests) skip the address check.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx
from PIL import Image, UnidentifiedImageError

from herald_common.settings import PlatformSettings
from herald_platforms.errors import Rejected, Transient

Resolver = Callable[[str], Awaitable[list[str]]]
MAX_REDIRECTS = 5


async def system_resolver(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


@dataclass
class MediaGuard:
    allowed_hosts: frozenset[str]
    max_bytes: int
    timeout: float
    resolver: Resolver = system_resolver

    @classmethod
    def from_settings(
        cls, settings: PlatformSettings, resolver: Resolver = system_resolver
    ) -> MediaGuard:
        hosts = frozenset(h.strip().lower() for h in settings.media_allowed_hosts.split(",") if h)
        return cls(hosts, settings.media_max_bytes, settings.media_timeout_seconds, resolver)

    async def check_url(self, url: str) -> None:
        """Refuse URLs that are not http(s) or that lead to a non-public address."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise Rejected(f"Media URL must be http or https: {url[:200]}")
        host = parts.hostname.lower()
        if host in self.allowed_hosts or parts.netloc.lower() in self.allowed_hosts:
            return
        try:
            addresses = [host] if _is_ip(host) else await self.resolver(host)
        except OSError as exc:
            raise Rejected(f"Media host {host} cannot be resolved") from exc
        if not addresses or not all(_public(a) for a in addresses):
            raise Rejected(f"Media URL points to a private or local address: {host}")

    async def fetch(self, client: httpx.AsyncClient, url: str) -> tuple[bytes, str]:
        """The bytes and content type of ``url``, following redirects one checked hop at a time."""
        current = url
        for _ in range(MAX_REDIRECTS + 1):
            await self.check_url(current)
            try:
                async with client.stream(
                    "GET", current, follow_redirects=False, timeout=self.timeout
                ) as response:
                    if response.is_redirect:
                        location = response.headers.get("location")
                        if not location:
                            raise Rejected("Media URL redirects nowhere")
                        current = urljoin(current, location)
                        continue
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
            except httpx.TimeoutException as exc:
                raise Transient("Fetching the media timed out") from exc
            except httpx.TransportError as exc:
                raise Transient("Fetching the media failed") from exc
        raise Rejected("Media URL redirects too many times")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


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
