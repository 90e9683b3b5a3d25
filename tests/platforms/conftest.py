"""Adapter unit tests talk to respx mocks of the platforms' real hosts."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx
from PIL import Image

from herald_common.settings import PlatformSettings
from herald_platforms.base import AccountRef, Credentials
from herald_platforms.media import MediaGuard
from herald_platforms.tokens import MemoryTokens


async def public_resolver(host: str) -> list[str]:
    return ["93.184.216.34"]


@pytest.fixture
def settings() -> PlatformSettings:
    return PlatformSettings()


@pytest.fixture
def guard(settings) -> MediaGuard:
    return MediaGuard(frozenset(), settings.media_max_bytes, 5.0, public_resolver)


@pytest.fixture
async def http():
    async with httpx.AsyncClient() as client:
        yield client


def account(
    external_id: str = "2244994945",
    *,
    expires_in: float = 7200,
    refresh: str | None = "refresh-1",
    **extra,
) -> AccountRef:
    return AccountRef(
        external_id,
        MemoryTokens(
            Credentials(
                access_token="access-1",
                refresh_token=refresh,
                expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
                extra=dict(extra),
            )
        ),
    )


def image(size: tuple[int, int] = (10, 10), fmt: str = "JPEG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size).save(out, fmt)
    return out.getvalue()


def images_served(data: bytes | None = None) -> respx.Route:
    """The media host Instagram and Herald fetch images from."""
    return respx.get(host="cdn.example.com").respond(
        200, content=data or image(), headers={"content-type": "image/jpeg"}
    )
