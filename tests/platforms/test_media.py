"""The media guard: http(s) only, public addresses only (after redirects too), size cap."""

from __future__ import annotations

import pytest
import respx

from herald_platforms.errors import Rejected
from herald_platforms.media import MediaGuard


async def resolver(host: str) -> list[str]:
    return {
        "public.example.com": ["93.184.216.34"],
        "sneaky.example.com": ["10.1.2.3"],
        "v6.example.com": ["::ffff:127.0.0.1"],
    }.get(host, ["93.184.216.34"])


def guard(allowed: str = "", max_bytes: int = 1000) -> MediaGuard:
    hosts = frozenset(h for h in allowed.split(",") if h)
    return MediaGuard(hosts, max_bytes, 5.0, resolver)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/a.jpg",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/a.jpg",
        "http://[::1]/a.jpg",
        "http://0.0.0.0/a.jpg",
        "http://sneaky.example.com/a.jpg",
        "http://v6.example.com/a.jpg",
        "file:///etc/passwd",
        "ftp://public.example.com/a.jpg",
    ],
)
async def test_refused(url):
    with pytest.raises(Rejected):
        await guard().fetch(url)


@respx.mock
@pytest.mark.parametrize(
    "target",
    [
        "http://127.0.0.1/x",
        "http://169.254.169.254/latest",
        "http://10.0.0.1/x",
    ],
)
async def test_public_url_redirecting_inside_is_refused(target):
    respx.get("https://public.example.com/a.jpg").respond(302, headers={"location": target})
    inner = respx.get(target).respond(200, content=b"secret")
    with pytest.raises(Rejected):
        await guard().fetch("https://public.example.com/a.jpg")
    assert not inner.called


@respx.mock
async def test_oversized_body_is_refused():
    respx.get("https://public.example.com/big.jpg").respond(200, content=b"x" * 5000)
    with pytest.raises(Rejected, match="larger"):
        await guard(max_bytes=1000).fetch("https://public.example.com/big.jpg")


@respx.mock
async def test_allowed_host_and_public_redirect_pass():
    respx.get("http://127.0.0.1:8100/media/a.jpg").respond(
        200, content=b"ok", headers={"content-type": "image/jpeg"}
    )
    respx.get("https://public.example.com/r").respond(
        302, headers={"location": "https://public.example.com/final.jpg"}
    )
    respx.get("https://public.example.com/final.jpg").respond(200, content=b"fine")
    data, ctype = await guard("127.0.0.1:8100").fetch("http://127.0.0.1:8100/media/a.jpg")
    assert (data, ctype) == (b"ok", "image/jpeg")
    data, _ = await guard().fetch("https://public.example.com/r")
    assert data == b"fine"
