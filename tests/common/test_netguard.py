"""The shared SSRF guard: which addresses and names pass, one lookup per connection, pinned."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from herald_common.netguard import (
    Destinations,
    Unresolvable,
    UnsafeDestination,
    guarded_client,
    is_public_address,
    is_public_name,
    system_resolver,
)
from herald_devrun.infra import free_port
from herald_platforms.errors import Rejected, Transient
from herald_platforms.media import MediaGuard
from tests.dns import public_dns

NOT_GLOBAL = [
    "127.0.0.1",
    "127.255.255.254",
    "10.1.2.3",
    "172.16.0.1",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "100.127.255.254",
    "0.0.0.0",
    "0.1.2.3",
    "192.0.0.170",
    "192.0.2.1",
    "192.88.99.1",  # 6to4 relay anycast
    "198.18.0.1",
    "198.51.100.7",
    "203.0.113.9",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",
    "255.255.255.255",
    "::",
    "::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::ffff:8.8.8.8",  # IPv4-mapped, even of a public address: connect to IPv4 instead
    "::127.0.0.1",  # IPv4-compatible
    "::ffff:0:a00:1",  # IPv4-translated
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "2002:808:808::1",  # 6to4 of a public address: still a tunnel to anywhere
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b::7f00:1",
    "64:ff9b:1::1",
    "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
    "2001:db8::1",
    "100::1",
    "fc00::1",
    "fd12:3456::1",
    "fe80::1",
    "fe80::1%eth0",
    "fec0::1",
    "ff02::1",
    "not-an-address",
]
GLOBAL = ["93.184.216.34", "8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::200e"]


@pytest.mark.parametrize("address", NOT_GLOBAL)
def test_every_non_global_address_is_refused(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", GLOBAL)
def test_global_addresses_pass(address):
    assert is_public_address(address)


@pytest.mark.parametrize(
    "name",
    [
        "localhost",
        "localhost.",
        "LocalHost..",
        "api.localhost",
        "printer.local",
        "metadata.google.internal",
        "metadata",
        "router.lan",
        "nas.home.arpa",
        "1.0.0.127.in-addr.arpa",
        "",
    ],
)
def test_names_that_never_lead_to_a_public_host_are_refused(name):
    assert not is_public_name(name)


def test_public_names_pass_with_or_without_the_root_dot():
    assert is_public_name("hooks.example.com")
    assert is_public_name("hooks.example.com.")


WEBHOOKS = Destinations(resolver=public_dns)


@pytest.mark.parametrize(
    "url",
    [
        "https://169.254.169.254.nip.io/hook",  # public name, metadata address
        "https://app.10.0.0.1.nip.io/hook",
        "https://100.64.0.1.nip.io/hook",
        "https://localhost./hook",
        "https://localhost/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://[::1]/hook",
        "https://[2002:a9fe:a9fe::1]/hook",
        "https://[64:ff9b::a9fe:a9fe]/hook",
        "https://100.64.0.1/hook",
        "https://169.254.169.254/latest/meta-data/",
        "http://hooks.example.com/hook",  # https only
        "ftp://hooks.example.com/hook",
        "https:///hook",
        "https://nowhere.invalid.test/hook",  # does not resolve
    ],
)
async def test_webhook_style_urls_are_refused(url):
    with pytest.raises(UnsafeDestination):
        await WEBHOOKS.check(url)


async def test_a_public_https_url_passes_and_unresolvable_is_told_apart():
    assert await WEBHOOKS.check("https://hooks.example.com/hook") == ["93.184.216.34"]
    with pytest.raises(Unresolvable):
        await WEBHOOKS.check("https://nowhere.invalid.test/hook")


@pytest.mark.parametrize("host", ["127.1", "0x7f.0.0.1", "017700000001", "2130706433"])
async def test_numeric_spellings_of_loopback_are_refused_after_the_real_lookup(host):
    # The system resolver reads these as 127.0.0.1 (no DNS involved).
    guard = Destinations(schemes=frozenset({"http"}), resolver=system_resolver)
    with pytest.raises(UnsafeDestination):
        await guard.check(f"http://{host}/x")


class Server:
    """A tiny HTTP server on one loopback address that records what reaches it.

    It answers each request with the next of ``answers`` (status, headers, body); the
    last one repeats.
    """

    def __init__(self, host: str, port: int, *answers: tuple[str, dict[str, str], bytes]):
        self.host, self.port, self.answers = host, port, list(answers)
        self.paths: list[str] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        self.paths.append(head.split(b" ", 2)[1].decode())
        status, headers, body = self.answers[min(len(self.paths), len(self.answers)) - 1]
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(
            f"HTTP/1.1 {status}\r\ncontent-length: {len(body)}\r\n{extra}"
            "connection: close\r\n\r\n".encode()
            + body
        )
        await writer.drain()
        writer.close()


def ok(body: bytes, **headers: str) -> tuple[str, dict[str, str], bytes]:
    return "200 OK", {k.replace("_", "-"): v for k, v in headers.items()}, body


def redirect(location: str) -> tuple[str, dict[str, str], bytes]:
    return "302 Found", {"location": location}, b""


@asynccontextmanager
async def serving(*servers: Server) -> AsyncIterator[None]:
    started = [await asyncio.start_server(s.handle, s.host, s.port) for s in servers]
    try:
        yield
    finally:
        for srv in started:
            srv.close()
            await srv.wait_closed()


def _stand_in_public(address: str) -> bool:
    # 127.0.0.2 plays a public host; 127.0.0.1 stays what it is, an internal one.
    return address == "127.0.0.2" or is_public_address(address)


async def test_the_connection_goes_to_the_checked_address_without_a_second_lookup():
    port = free_port()
    public = Server("127.0.0.2", port, ok(b"public"))
    internal = Server("127.0.0.1", port, ok(b"internal secret"))
    answers = iter([["127.0.0.2"], ["127.0.0.1"], ["127.0.0.1"]])
    asked: list[str] = []

    async def rebinding_dns(host: str) -> list[str]:
        # A rebinding server: public on the first question, internal afterwards.
        asked.append(host)
        return next(answers)

    guard = Destinations(
        schemes=frozenset({"http"}), resolver=rebinding_dns, address_check=_stand_in_public
    )
    url = f"http://rebind.example.com:{port}/hook"
    async with serving(public, internal):
        async with guarded_client(guard) as client:
            first = await client.get(url)
        assert first.text == "public"
        assert asked == ["rebind.example.com"]  # one lookup, and the connection used it
        # A new connection asks again and gets the internal answer: refused before connecting.
        async with guarded_client(guard) as client:
            with pytest.raises(UnsafeDestination):
                await client.get(url)
    assert public.paths == ["/hook"]
    assert internal.paths == []


async def test_allowed_hosts_skip_the_address_check_but_stay_pinned():
    port = free_port()
    sim = Server("127.0.0.1", port, ok(b"simulator"))
    asked: list[str] = []

    async def dns(host: str) -> list[str]:
        asked.append(host)
        return ["127.0.0.1"]

    guard = Destinations(
        schemes=frozenset({"http"}),
        allowed_hosts=frozenset({f"sim.example.com:{port}"}),
        resolver=dns,
    )
    async with serving(sim):
        async with guarded_client(guard) as client:
            r = await client.get(f"http://sim.example.com:{port}/media")
            with pytest.raises(UnsafeDestination):
                await client.get(f"http://other.example.com:{port}/media")
    assert r.text == "simulator"
    assert sim.paths == ["/media"]


async def test_a_proxy_from_the_environment_is_not_used(monkeypatch):
    port = free_port()
    target = Server("127.0.0.2", port, ok(b"direct"))
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")

    async def dns(host: str) -> list[str]:
        return ["127.0.0.2"]

    guard = Destinations(schemes=frozenset({"http"}), resolver=dns, address_check=_stand_in_public)
    async with serving(target), guarded_client(guard) as client:
        r = await client.get(f"http://cdn.example.com:{port}/a")
    assert r.text == "direct"


def _media_guard(dns) -> MediaGuard:
    guard = MediaGuard(frozenset(), 1000, 5.0, dns)
    guard.destinations = dataclasses.replace(guard.destinations, address_check=_stand_in_public)
    return guard


async def test_media_redirects_are_checked_again_at_every_hop():
    port = free_port()

    async def dns(host: str) -> list[str]:
        return {"cdn.example.com": ["127.0.0.2"], "inside.example.com": ["127.0.0.1"]}[host]

    for location in (
        f"http://inside.example.com:{port}/secret",  # a public name leading inside
        f"http://127.0.0.1:{port}/secret",
        f"http://[::ffff:127.0.0.1]:{port}/secret",
        f"http://localhost.:{port}/secret",
        "file:///etc/passwd",
    ):
        public = Server("127.0.0.2", port, redirect(location))
        internal = Server("127.0.0.1", port, ok(b"internal secret"))
        async with serving(public, internal):
            with pytest.raises(Rejected):
                await _media_guard(dns).fetch(f"http://cdn.example.com:{port}/a.jpg")
        assert public.paths == ["/a.jpg"], location
        assert internal.paths == [], location


async def test_media_follows_redirects_between_public_hosts():
    port = free_port()

    async def dns(host: str) -> list[str]:
        return ["127.0.0.2"]

    hop = Server("127.0.0.2", port, redirect("/final.jpg"), ok(b"jpeg", content_type="image/jpeg"))
    async with serving(hop):
        data, ctype = await _media_guard(dns).fetch(f"http://cdn.example.com:{port}/a.jpg")
    assert (data, ctype) == (b"jpeg", "image/jpeg")
    assert hop.paths == ["/a.jpg", "/final.jpg"]


async def test_unreachable_media_is_transient_not_a_leak():
    async def dns(host: str) -> list[str]:
        return ["127.0.0.2"]

    guard = _media_guard(dns)
    port = free_port()  # nothing listens here
    with pytest.raises(Transient):
        await guard.fetch(f"http://cdn.example.com:{port}/a.jpg")
