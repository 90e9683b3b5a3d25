"""Every adapter against the running simulator, over real HTTP."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from herald_db.enums import Platform
from herald_platforms.base import PostPayload
from herald_platforms.errors import (
    AuthFailed,
    Duplicate,
    OutcomeUnknown,
    QuotaReached,
    RateLimited,
    Rejected,
    Transient,
)
from herald_platforms.registry import get_adapter
from tests.platforms.integration.conftest import connect, text

ALL = list(Platform)


@pytest.mark.parametrize("platform", ALL)
async def test_text_and_media_posts(env, platform):
    settings, http, sim = env
    adapter = get_adapter(platform, settings)
    acct = await connect(settings, http, platform)
    media = [sim.media_url("a.jpg")]
    if platform is not Platform.INSTAGRAM:
        plain = await adapter.publish(http, acct, PostPayload(text()))
        assert plain.external_post_id
    with_media = await adapter.publish(http, acct, PostPayload(text(), media))
    published = await sim.published(platform.value)
    assert published[-1]["external_id"] == with_media.external_post_id
    assert len(published[-1]["media"]) == 1


async def test_instagram_carousel(env):
    settings, http, sim = env
    adapter = get_adapter(Platform.INSTAGRAM, settings)
    acct = await connect(settings, http, Platform.INSTAGRAM)
    urls = [sim.media_url(f"{i}.jpg") for i in range(3)]
    result = await adapter.publish(http, acct, PostPayload("carousel", urls))
    item = (await sim.published("INSTAGRAM"))[-1]
    assert item["external_id"] == result.external_post_id
    assert len(item["media"]) == 3


@pytest.mark.parametrize("platform", ALL)
async def test_failure_classes(env, platform):
    settings, http, sim = env
    adapter = get_adapter(platform, settings)
    acct = await connect(settings, http, platform)
    media = [sim.media_url()] if platform is Platform.INSTAGRAM else []
    cases = [
        ({"fault": "error", "status": 503}, (Transient,)),
        ({"fault": "rate_limit", "retry_after": 7}, (RateLimited,)),
        ({"fault": "drop_after_create"}, (OutcomeUnknown, Transient)),
    ]
    for fault, kinds in cases:
        await sim.script(platform.value, [fault])
        with pytest.raises(kinds) as info:
            await adapter.publish(http, acct, PostPayload(text(), media))
        if fault["fault"] == "rate_limit":
            assert info.value.retry_after is not None
            assert info.value.retry_after >= 7 or platform in (
                Platform.FACEBOOK,
                Platform.INSTAGRAM,
            )
    # A timeout: the simulator holds the request past the client's patience.
    await sim.script(platform.value, [{"fault": "timeout", "hold": 3}])
    async with httpx.AsyncClient(timeout=0.5) as impatient:
        with pytest.raises(Transient):
            await adapter.publish(impatient, acct, PostPayload(text(), media))


async def test_duplicates_are_permanent(env):
    settings, http, _ = env
    for platform in (Platform.TWITTER, Platform.LINKEDIN, Platform.FACEBOOK):
        adapter = get_adapter(platform, settings)
        acct = await connect(settings, http, platform)
        same = text()
        await adapter.publish(http, acct, PostPayload(same))
        with pytest.raises(Duplicate):
            await adapter.publish(http, acct, PostPayload(same))


async def test_x_refuses_over_long_text_and_unknown_fields(env):
    settings, http, sim = env
    acct = await connect(settings, http, Platform.TWITTER)
    adapter = get_adapter(Platform.TWITTER, settings)
    with pytest.raises(Rejected):
        await adapter.publish(http, acct, PostPayload("x" * 281))
    r = await http.post(
        settings.x_api_base + "/2/tweets",
        json={"text": "hi", "colour": "red"},
        headers={"authorization": f"Bearer {acct.credentials.access_token}"},
    )
    assert r.status_code == 400
    assert r.json()["type"].endswith("invalid-request")


@pytest.mark.parametrize("platform", [Platform.TWITTER, Platform.LINKEDIN, Platform.INSTAGRAM])
async def test_token_refreshed_before_publish(env, platform):
    settings, http, sim = env
    adapter = get_adapter(platform, settings)
    acct = await connect(settings, http, platform)
    # The token is about to run out (for Instagram: within its week-ahead refresh window).
    acct.credentials.expires_at = datetime.now(UTC) + timedelta(seconds=60)
    before = acct.credentials.access_token
    media = [sim.media_url()] if platform is Platform.INSTAGRAM else []
    await adapter.publish(http, acct, PostPayload(text(), media))
    assert acct.tokens.renewals == 1
    assert acct.credentials.access_token != before


async def test_expired_token_is_refreshed_after_a_401(env):
    settings, http, sim = env
    adapter = get_adapter(Platform.TWITTER, settings)
    login = uuid.uuid4().hex[:8]
    acct = await connect(settings, http, Platform.TWITTER, login)
    await sim.expire_token("TWITTER", login)
    await adapter.publish(http, acct, PostPayload(text()))
    assert acct.tokens.renewals == 1


@pytest.mark.parametrize("platform", ALL)
async def test_revoked_token_is_auth(env, platform):
    settings, http, sim = env
    adapter = get_adapter(platform, settings)
    login = uuid.uuid4().hex[:8]
    acct = await connect(settings, http, platform, login)
    await sim.revoke(platform.value, login)
    media = [sim.media_url()] if platform is Platform.INSTAGRAM else []
    with pytest.raises(AuthFailed):
        await adapter.publish(http, acct, PostPayload(text(), media))


async def test_x_metrics_250_ids_take_3_lookups(env):
    settings, http, sim = env
    await sim.set_rate_limit("TWITTER", 10_000, 900)
    adapter = get_adapter(Platform.TWITTER, settings)
    acct = await connect(settings, http, Platform.TWITTER)
    ids = [
        (await adapter.publish(http, acct, PostPayload(text()))).external_post_id
        for _ in range(250)
    ]
    before = (await sim.requests())["TWITTER"].get("metrics", 0)
    metrics = await adapter.fetch_metrics(http, acct, ids)
    after = (await sim.requests())["TWITTER"]["metrics"]
    assert after - before == 3
    assert {m.external_post_id for m in metrics} == set(ids)


@pytest.mark.parametrize("platform", [Platform.FACEBOOK, Platform.INSTAGRAM, Platform.LINKEDIN])
async def test_metrics_grow_with_time(env, platform):
    settings, http, sim = env
    adapter = get_adapter(platform, settings)
    acct = await connect(settings, http, platform)
    media = [sim.media_url()] if platform is Platform.INSTAGRAM else []
    ids = [
        (await adapter.publish(http, acct, PostPayload(text(), media))).external_post_id
        for _ in range(3)
    ]
    early = await adapter.fetch_metrics(http, acct, ids)
    await sim.advance_clock(24 * 3600)
    late = await adapter.fetch_metrics(http, acct, ids)
    assert len(late) == 3
    assert all(b.impressions > a.impressions for a, b in zip(early, late, strict=True))


async def test_linkedin_metrics_of_shares_and_ugc_posts(env):
    """Text posts come back as ``urn:li:share``, posts with media as ``urn:li:ugcPost``; the
    statistics call names each under its own union member, the URN percent-encoded."""
    settings, http, sim = env
    adapter = get_adapter(Platform.LINKEDIN, settings)
    acct = await connect(settings, http, Platform.LINKEDIN)
    share = (await adapter.publish(http, acct, PostPayload(text()))).external_post_id
    ugc = (
        await adapter.publish(http, acct, PostPayload(text(), [sim.media_url()]))
    ).external_post_id
    assert share.startswith("urn:li:share:")
    assert ugc.startswith("urn:li:ugcPost:")
    await sim.advance_clock(6 * 3600)
    got = {m.external_post_id: m for m in await adapter.fetch_metrics(http, acct, [share, ugc])}
    assert set(got) == {share, ugc}
    assert all(m.impressions > 0 for m in got.values())


@pytest.mark.parametrize(
    "entity",
    [
        "(share:urn:li:share:123)",  # the URN not encoded
        "(ugc:urn%3Ali%3Ashare%3A123)",  # a share under the ugc member
        "(share:urn%3Ali%3AugcPost%3A123)",  # a ugcPost under the share member
        "%28share%3Aurn%3Ali%3Ashare%3A123%29",  # the parentheses encoded too
    ],
)
async def test_linkedin_statistics_refuse_a_badly_encoded_entity(env, entity):
    settings, http, _ = env
    acct = await connect(settings, http, Platform.LINKEDIN)
    adapter = get_adapter(Platform.LINKEDIN, settings)
    url = f"{settings.linkedin_api_base}/rest/memberCreatorPostAnalytics?q=entity&entity={entity}"
    r = await http.get(url, headers=adapter._headers(acct.credentials))
    assert r.status_code == 400
    assert "entity" in r.json()["message"]


async def test_find_published_reconciles(env):
    settings, http, _ = env
    for platform in ALL:
        adapter = get_adapter(platform, settings)
        acct = await connect(settings, http, platform)
        media = (
            [f"{settings.x_api_base.rsplit('/', 1)[0]}/media/a.jpg"]
            if (platform is Platform.INSTAGRAM)
            else []
        )
        post = PostPayload(text(), media)
        assert await adapter.find_published(http, acct, post) is None
        done = await adapter.publish(http, acct, post)
        assert (
            await adapter.find_published(http, acct, post)
        ).external_post_id == done.external_post_id


async def test_instagram_publishing_cap_is_read_live_and_waits(env):
    settings, http, sim = env
    adapter = get_adapter(Platform.INSTAGRAM, settings)
    acct = await connect(settings, http, Platform.INSTAGRAM)
    await sim.set_rate_limit("INSTAGRAM", 2, 86400)
    for _ in range(2):
        await adapter.publish(http, acct, PostPayload(text(), [sim.media_url()]))
    with pytest.raises(QuotaReached) as info:
        await adapter.publish(http, acct, PostPayload(text(), [sim.media_url()]))
    assert "2 posts per 24 hours" in info.value.message
    assert len(await sim.published("INSTAGRAM")) == 2


async def test_instagram_container_error_is_permanent(env):
    settings, http, sim = env
    adapter = get_adapter(Platform.INSTAGRAM, settings)
    acct = await connect(settings, http, Platform.INSTAGRAM)
    with pytest.raises(Rejected, match="ERROR"):
        await adapter.publish(http, acct, PostPayload(text(), [sim.media_url("unprocessable.jpg")]))
