"""One guard for every request Herald sends to an address a user chose (media, webhooks).

A URL passes when its scheme is allowed and its host is a public name or a public address.
The name is resolved once, when the connection is made, and the connection goes to the
address that was checked: there is no second lookup a rebinding DNS server could answer
differently. Every address that is not globally reachable is refused, including the ones
that carry a private IPv4 address inside an IPv6 one (IPv4-mapped, IPv4-compatible, 6to4,
NAT64, Teredo). Redirects are not followed by the client; a caller that follows them
sends each hop through the same guard. Hosts listed as allowed (``host`` or
``host:port``: the simulator in development and tests) skip the address check, never the
pinning.

Refusals raise :class:`UnsafeDestination`.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import socket
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

import httpcore
import httpx

Resolver = Callable[[str], Awaitable[list[str]]]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Ranges Python's ``is_global`` lets through, or that embed an IPv4 address whose own
# checks would be skipped. Everything else not ``is_global`` is refused as well.
_REFUSED = [
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "192.0.0.0/24",
        "192.88.99.0/24",  # 6to4 relay anycast
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",
        "::/96",  # IPv4-compatible (deprecated), with :: and ::1
        "::ffff:0:0/96",  # IPv4-mapped
        "::ffff:0:0:0/96",  # IPv4-translated
        "64:ff9b::/96",  # NAT64
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments, with Teredo (2001::/32)
        "2001:db8::/32",  # documentation
        "2002::/16",  # 6to4
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
]
# Names that never lead to a public host, whatever a resolver answers.
_REFUSED_SUFFIXES = (
    "localhost",
    "localdomain",
    "local",
    "internal",
    "intranet",
    "lan",
    "home.arpa",
    "arpa",
)


class UnsafeDestination(Exception):
    """A URL or address Herald will not send a request to."""


async def system_resolver(host: str) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    return sorted({str(info[4][0]) for info in infos})


def parse_address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


def is_public_address(address: str) -> bool:
    ip = parse_address(address)
    if ip is None:
        return False
    if any(ip.version == net.version and ip in net for net in _REFUSED):
        return False
    return bool(ip.is_global) and not (ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def normalize_host(host: str) -> str:
    """Lower case without trailing dots: ``LocalHost.`` and ``localhost`` are one name."""
    return host.strip().lower().rstrip(".")


def is_public_name(host: str) -> bool:
    name = normalize_host(host)
    if not name or "." not in name:
        return False  # single labels resolve through search domains to internal hosts
    return not any(name == s or name.endswith("." + s) for s in _REFUSED_SUFFIXES)


def parse_hosts(raw: str) -> frozenset[str]:
    return frozenset(normalize_host(h) for h in raw.split(",") if h.strip())


@dataclass(frozen=True)
class Destinations:
    """Where outbound requests to user-chosen URLs may go."""

    schemes: frozenset[str] = frozenset({"https"})
    allowed_hosts: frozenset[str] = frozenset()
    resolver: Resolver = system_resolver
    resolve_timeout: float = 5.0
    # Which resolved addresses may be reached (tests stand in loopback for public hosts).
    address_check: Callable[[str], bool] = is_public_address

    def is_allowed_host(self, host: str, port: int | None) -> bool:
        name = normalize_host(host).strip("[]")
        return name in self.allowed_hosts or (
            port is not None and f"{name}:{port}" in self.allowed_hosts
        )

    def check_url(self, url: str) -> SplitResult:
        """The checks that need no lookup: scheme, host name, literal address."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise UnsafeDestination("The URL cannot be parsed.") from exc
        scheme = parts.scheme.lower()
        if scheme not in self.schemes:
            allowed = " or ".join(sorted(self.schemes))
            raise UnsafeDestination(f"The URL must use {allowed}.")
        host = parts.hostname or ""
        if not host:
            raise UnsafeDestination("The URL has no host.")
        if self.is_allowed_host(host, port or _default_port(scheme)):
            return parts
        ip = parse_address(host)
        if ip is not None:
            if not self.address_check(str(ip)):
                raise UnsafeDestination(f"{ip} is not a public address.")
        elif not is_public_name(host):
            raise UnsafeDestination(f"{normalize_host(host)} is not a public host name.")
        return parts

    async def addresses(self, host: str, port: int | None) -> list[str]:
        """The one lookup: every address ``host`` resolves to, each of them checked."""
        name = normalize_host(host)
        exempt = self.is_allowed_host(host, port)
        literal = parse_address(host)
        if not exempt and literal is None and not is_public_name(name):
            raise UnsafeDestination(f"{name} is not a public host name.")
        if literal is not None:
            found = [str(literal)]
        else:
            try:
                found = await asyncio.wait_for(self.resolver(name), self.resolve_timeout)
            except (OSError, TimeoutError) as exc:
                raise Unresolvable(f"{name} cannot be resolved.") from exc
            if not found:
                raise Unresolvable(f"{name} cannot be resolved.")
        if not exempt:
            refused = [a for a in found if not self.address_check(a)]
            if refused:
                raise UnsafeDestination(f"{name} leads to a non-public address ({refused[0]}).")
        return found

    async def check(self, url: str) -> list[str]:
        """Every check, the lookup included (for URLs that someone else will fetch)."""
        parts = self.check_url(url)
        return await self.addresses(parts.hostname or "", parts.port or _default_port(parts.scheme))


class Unresolvable(UnsafeDestination):
    """The host has no address (the lookup failed or timed out)."""


def _default_port(scheme: str) -> int | None:
    return {"http": 80, "https": 443}.get(scheme.lower())


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """Resolves and checks the host once per connection, then connects to that address."""

    def __init__(
        self, destinations: Destinations, inner: httpcore.AsyncNetworkBackend | None = None
    ) -> None:
        self.destinations = destinations
        self._inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await self.destinations.addresses(host, port)
        except Unresolvable as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        error: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 - httpcore's interface
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise UnsafeDestination("Unix sockets are not a destination.")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


class PinnedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport over :class:`PinnedBackend`; no proxies from the environment."""

    def __init__(self, destinations: Destinations, *, max_connections: int = 20) -> None:
        context = _ssl_context()
        super().__init__(verify=context, trust_env=False)
        # httpx builds its pool without a way to pass a network backend; this one is the
        # same pool with the pinning backend (httpx is pinned in pyproject.toml).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=context,
            max_connections=max_connections,
            max_keepalive_connections=max_connections,
            network_backend=PinnedBackend(destinations),
        )


def guarded_client(
    destinations: Destinations, *, timeout: float = 10.0, max_connections: int = 20
) -> httpx.AsyncClient:
    """A client whose every connection passes ``destinations``; it follows no redirect."""
    return httpx.AsyncClient(
        transport=PinnedTransport(destinations, max_connections=max_connections),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
    )
