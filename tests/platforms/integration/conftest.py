"""Adapters against the running simulator: settings pointing at it, the connect flow."""

from __future__ import annotations

import secrets
import uuid

import httpx
import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge

from herald_common.settings import PlatformSettings
from herald_db.enums import Platform
from herald_platforms.base import AccountRef
from herald_platforms.http import make_client
from herald_platforms.registry import get_adapter
from herald_platforms.tokens import MemoryTokens


@pytest.fixture
async def env(sim_clean):
    settings = PlatformSettings.model_validate(sim_clean.platform_settings_kwargs())
    # The client the services use (aiohttp underneath), so what reaches the platform is what
    # the services would send.
    async with make_client(settings) as http:
        yield settings, http, sim_clean


async def connect(
    settings, http, platform: Platform, login: str | None = None, scope: str | None = None
) -> AccountRef:
    """Connect an account the way Herald does (``scope`` replaces the scopes it asks for)."""
    adapter = get_adapter(platform, settings)
    verifier = secrets.token_urlsafe(48)
    url = httpx.URL(
        adapter.authorize_url("st", "http://app/cb", create_s256_code_challenge(verifier))
    )
    if scope is not None:
        url = url.copy_set_param("scope", scope)
    r = await http.get(url.copy_set_param("login_hint", login or uuid.uuid4().hex[:8]))
    assert r.status_code == 302
    code = httpx.URL(r.headers["location"]).params["code"]
    grant = await adapter.exchange_code(http, code, "http://app/cb", verifier)
    return AccountRef(grant.external_account_id, MemoryTokens(grant.credentials))


def text() -> str:
    return f"hello {uuid.uuid4().hex}"
