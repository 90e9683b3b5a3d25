"""Herald's adapters against the simulator's strict behaviours, over real HTTP: the scopes
reads and metrics need, creates that land after a timeout, LinkedIn's required headers."""

from __future__ import annotations

import httpx
import pytest

from herald_db.enums import Platform
from herald_platforms.base import Found, Metrics, MetricsMissing, PostPayload
from herald_platforms.errors import OutcomeUnknown, Rejected
from herald_platforms.registry import get_adapter
from tests.platform_sim.conftest import until
from tests.platforms.integration.conftest import connect, text

# Publishing scopes without the ones reads and metrics need.
WRITE_ONLY = {
    Platform.TWITTER: "tweet.write media.write offline.access",
    Platform.INSTAGRAM: "instagram_business_basic,instagram_business_content_publish",
    Platform.LINKEDIN: "openid profile w_member_social",
    Platform.FACEBOOK: "pages_show_list,pages_manage_posts",
}


def media_for(platform: Platform, sim) -> list[str]:  # type: ignore[no-untyped-def]
    return [sim.media_url("a.jpg")] if platform is Platform.INSTAGRAM else []


@pytest.mark.parametrize("platform", list(Platform))
async def test_connect_asks_for_the_scopes_reads_and_metrics_need(env, platform):
    settings, http, sim = env
    adapter = get_adapter(platform, settings)
    acct = await connect(settings, http, platform)
    post = PostPayload(text(), media_for(platform, sim))
    done = await adapter.publish(http, acct, post)
    assert (
        await adapter.find_published(http, acct, post)
    ).external_post_id == done.external_post_id
    metrics = await adapter.fetch_metrics(http, acct, [done.external_post_id])
    assert [(type(m), m.external_post_id) for m in metrics] == [(Metrics, done.external_post_id)]
    # Without the read scopes the platform refuses, and Herald says so.
    if platform is Platform.TWITTER:
        with pytest.raises(Rejected):  # even GET /2/users/me needs tweet.read users.read
            await connect(settings, http, platform, scope=WRITE_ONLY[platform])
        return
    weak = await connect(settings, http, platform, scope=WRITE_ONLY[platform])
    other = await adapter.publish(http, weak, PostPayload(text(), media_for(platform, sim)))
    if platform is not Platform.INSTAGRAM:  # instagram_business_basic reads the media list
        with pytest.raises(Rejected):
            await adapter.find_published(http, weak, post)
    (missing,) = await adapter.fetch_metrics(http, weak, [other.external_post_id])
    assert isinstance(missing, MetricsMissing)
    assert isinstance(missing.error, Rejected)


@pytest.mark.parametrize("platform", list(Platform))
async def test_a_timed_out_create_is_unknown_and_found_once_it_lands(env, platform):
    settings, http, sim = env
    adapter = get_adapter(platform, settings)
    acct = await connect(settings, http, platform)
    post = PostPayload(text(), media_for(platform, sim))
    await sim.script(platform.value, [{"fault": "late", "delay": 2, "hold": 30}])
    async with httpx.AsyncClient(timeout=0.5) as impatient:
        with pytest.raises(OutcomeUnknown):
            await adapter.publish(impatient, acct, post)
    assert await adapter.find_published(http, acct, post) is None  # not landed yet

    async def found() -> Found | None:
        return await adapter.find_published(http, acct, post)

    external_id = (await until(found)).external_post_id
    assert [p["external_id"] for p in await sim.published(platform.value)] == [external_id]


async def test_linkedin_every_call_carries_the_version_and_protocol(env):
    settings, http, sim = env
    adapter = get_adapter(Platform.LINKEDIN, settings)
    acct = await connect(settings, http, Platform.LINKEDIN)
    post = PostPayload(text(), [sim.media_url("a.jpg"), sim.media_url("b.jpg")])
    done = await adapter.publish(http, acct, post)  # image uploads and the post
    assert (
        await adapter.find_published(http, acct, post)
    ).external_post_id == done.external_post_id
    assert await adapter.fetch_metrics(http, acct, [done.external_post_id])


async def test_linkedin_sunset_version_is_a_clear_permanent_failure(env):
    settings, http, _ = env
    acct = await connect(settings, http, Platform.LINKEDIN)
    old = get_adapter(Platform.LINKEDIN, settings.model_copy(update={"linkedin_version": "202401"}))
    with pytest.raises(Rejected, match="202401 is not active") as info:
        await old.publish(http, acct, PostPayload(text()))
    assert info.value.status_code == 426


@pytest.mark.parametrize(
    "words",
    [
        "Launch day (#hashtag) with @ada",
        "Q&A: [slides] {v2} <soon> a_b *bold* ~x~ | pipe \\ slash #1 C#",
    ],
)
async def test_linkedin_post_with_hashtag_and_mention_arrives_whole(env, words):
    settings, http, sim = env
    adapter = get_adapter(Platform.LINKEDIN, settings)
    acct = await connect(settings, http, Platform.LINKEDIN)
    words = f"{words} {text()}"
    done = await adapter.publish(http, acct, PostPayload(words))
    arrived = (await sim.published("LINKEDIN"))[-1]
    assert arrived["external_id"] == done.external_post_id
    assert arrived["text"] == words  # not cut at the first reserved character
