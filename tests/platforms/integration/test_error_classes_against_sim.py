"""The platforms' harder error classes from the simulator, over real HTTP: X's usage cap,
LinkedIn's write conflict, Instagram's restricted-activity block and throttled refresh."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from herald_common.settings import PlatformSettings
from herald_db.enums import Platform
from herald_platforms.base import PostPayload
from herald_platforms.errors import AuthFailed, OutcomeUnknown, RateLimited, UsageCapped
from herald_platforms.registry import get_adapter
from tests.platforms.integration.conftest import connect


@pytest.fixture
async def live(sim_clean):
    settings = PlatformSettings.model_validate(sim_clean.platform_settings_kwargs())
    async with httpx.AsyncClient() as http:
        yield settings, http, sim_clean


def text() -> str:
    return f"hello {uuid.uuid4().hex}"


async def test_x_usage_cap(live):
    settings, http, sim = live
    acct = await connect(settings, http, Platform.TWITTER)
    await sim.script("TWITTER", [{"fault": "usage_cap"}])
    with pytest.raises(UsageCapped) as info:
        await get_adapter(Platform.TWITTER, settings).publish(http, acct, PostPayload(text()))
    assert info.value.period == "Monthly"
    assert info.value.resets_at.day == 1
    assert await sim.published("TWITTER") == []


async def test_linkedin_write_conflict_on_a_create_is_an_unknown_outcome(live):
    settings, http, sim = live
    acct = await connect(settings, http, Platform.LINKEDIN)
    await sim.script("LINKEDIN", [{"fault": "error", "status": 409}])
    with pytest.raises(OutcomeUnknown):
        await get_adapter(Platform.LINKEDIN, settings).publish(http, acct, PostPayload(text()))


async def test_instagram_restricted_after_publishing_is_unknown_and_the_post_is_found(live):
    settings, http, sim = live
    adapter = get_adapter(Platform.INSTAGRAM, settings)
    acct = await connect(settings, http, Platform.INSTAGRAM)
    post = PostPayload(text(), [sim.media_url()])
    blocked = {"fault": "drop_after_create", "status": 400, "code": 4, "subcode": 2207051}
    await sim.script("INSTAGRAM", [blocked])
    with pytest.raises(OutcomeUnknown):
        await adapter.publish(http, acct, post)
    [live_post] = await sim.published("INSTAGRAM")
    assert (await adapter.find_published(http, acct, post)).external_post_id == live_post[
        "external_id"
    ]


async def test_instagram_refresh_throttled(live):
    settings, http, sim = live
    adapter = get_adapter(Platform.INSTAGRAM, settings)
    acct = await connect(settings, http, Platform.INSTAGRAM)
    # Inside the week-ahead renewal window, far from expiry.
    acct.credentials.expires_at = datetime.now(UTC) + timedelta(days=3)
    await sim.script("INSTAGRAM", [{"fault": "rate_limit"}] * 2, action="oauth")
    with pytest.raises(RateLimited) as info:
        await adapter.refresh(http, acct.credentials)
    assert not isinstance(info.value, AuthFailed)
    # A publish goes out with the token it has; the renewal waits for a later call.
    result = await adapter.publish(http, acct, PostPayload(text(), [sim.media_url()]))
    assert result.external_post_id
    assert acct.tokens.renewals == 0
    await adapter.publish(http, acct, PostPayload(text(), [sim.media_url()]))
    assert acct.tokens.renewals == 1
