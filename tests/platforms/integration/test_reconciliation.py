"""Each adapter's check of an unknown outcome against the simulator over real HTTP: the
window since the attempt started, paging back through a busy account, the text as the
platform answers it, Instagram's container status, posts it cannot check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from herald_db.enums import Platform
from herald_platform_sim.testing import listed_time
from herald_platforms.base import Found, Lookup, PostPayload
from herald_platforms.errors import OutcomeUnknown, Unverifiable
from herald_platforms.registry import get_adapter
from tests.platform_sim.conftest import until
from tests.platforms.integration.conftest import connect, text


def media_for(platform: Platform, sim) -> list[str]:  # type: ignore[no-untyped-def]
    return [sim.media_url("a.jpg")] if platform is Platform.INSTAGRAM else []


def window(sim_seconds_back: float = 5) -> Lookup:
    return Lookup(since=datetime.now(UTC) - timedelta(seconds=sim_seconds_back))


@pytest.mark.parametrize("platform", list(Platform))
async def test_the_check_pages_back_through_a_busy_account(env, platform):
    settings, http, sim = env
    adapter = get_adapter(platform, settings)
    acct = await connect(settings, http, platform)
    await sim.set_rate_limit(platform.value, 1000, 86400)
    lookup = window()
    post = PostPayload(text(), media_for(platform, sim))
    mine = await adapter.publish(http, acct, post)
    # 120 posts after it: the one sought is on the second page of 100, newest first.
    for _ in range(120):
        await adapter.publish(http, acct, PostPayload(text(), media_for(platform, sim)))
    found = await adapter.find_published(http, acct, post, lookup)
    assert found is not None
    assert found.external_post_id == mine.external_post_id
    # With the time the platform created it, as its listing gives it.
    (live,) = [
        p for p in await sim.published(platform.value) if p["external_id"] == found.external_post_id
    ]
    assert found.created_at == listed_time(platform.value, live["received_at"])
    absent = PostPayload(text(), media_for(platform, sim))
    assert await adapter.find_published(http, acct, absent, lookup) is None


@pytest.mark.parametrize("platform", list(Platform))
async def test_an_identical_post_from_before_the_attempt_is_not_taken(env, platform):
    settings, http, sim = env
    adapter = get_adapter(platform, settings)
    acct = await connect(settings, http, platform)
    post = PostPayload(text(), media_for(platform, sim))
    earlier = await adapter.publish(http, acct, post)
    await sim.advance_clock(3600)  # an hour later the user posts the same words again
    later = Lookup(since=datetime.now(UTC) + timedelta(seconds=3600 - 60))
    assert await adapter.find_published(http, acct, post, later) is None
    # Within the window, an id Herald holds for another post is not taken either.
    near = window(60)
    assert (
        await adapter.find_published(http, acct, post, near)
    ).external_post_id == earlier.external_post_id
    held = Lookup(since=near.since, exclude=frozenset({earlier.external_post_id}))
    assert await adapter.find_published(http, acct, post, held) is None


async def test_x_text_with_a_link_an_ampersand_and_an_image_is_found(env):
    settings, http, sim = env
    adapter = get_adapter(Platform.TWITTER, settings)
    acct = await connect(settings, http, Platform.TWITTER)
    sent = f"Q&A tonight {text()} <3 details at https://example.com/qa?x=1&y=2"
    post = PostPayload(sent, [sim.media_url("a.jpg")])
    done = await adapter.publish(http, acct, post)
    shown = await http.get(
        f"{settings.x_api_base}/2/tweets",
        params={"ids": done.external_post_id},
        headers={"authorization": f"Bearer {acct.credentials.access_token}"},
    )
    assert "&amp;" in shown.json()["data"][0]["text"]  # X changed the text it answers
    found = await adapter.find_published(http, acct, post, window())
    assert found is not None
    assert found.external_post_id == done.external_post_id


async def test_x_long_text_is_found_through_note_tweet(env):
    settings, http, _ = env
    adapter = get_adapter(Platform.TWITTER, settings)
    acct = await connect(settings, http, Platform.TWITTER)
    # Over 280 characters as shown, within 280 as counted (each URL counts 23).
    sent = (
        f"{text()} " + " ".join(f"https://example.com/{'p' * 40}/{i}" for i in range(8)) + " & more"
    )
    post = PostPayload(sent)
    done = await adapter.publish(http, acct, post)
    found = await adapter.find_published(http, acct, post, window())
    assert found is not None
    assert found.external_post_id == done.external_post_id


@pytest.mark.parametrize("platform", [Platform.TWITTER, Platform.FACEBOOK])
async def test_a_post_without_words_cannot_be_checked(env, platform):
    settings, http, sim = env
    adapter = get_adapter(platform, settings)
    acct = await connect(settings, http, platform)
    post = PostPayload("https://example.com/just-a-link" if platform is Platform.TWITTER else "")
    with pytest.raises(Unverifiable):
        await adapter.find_published(http, acct, post, window())


async def test_instagram_answers_by_the_container_status(env):
    settings, http, sim = env
    adapter = get_adapter(Platform.INSTAGRAM, settings)
    acct = await connect(settings, http, Platform.INSTAGRAM)
    lookup = window()
    # An empty caption, so only the container can tell.
    post = PostPayload("", [sim.media_url("a.jpg")])
    await sim.script("INSTAGRAM", [{"fault": "drop_after_create"}])
    with pytest.raises(OutcomeUnknown) as info:
        await adapter.publish(http, acct, post)
    container = info.value.ref
    assert container
    with pytest.raises(Unverifiable):
        await adapter.find_published(http, acct, post, lookup)
    published = await sim.published("INSTAGRAM")
    assert len(published) == 1
    found = await adapter.find_published(
        http, acct, post, Lookup(since=lookup.since, ref=container)
    )
    assert found is not None
    assert found.external_post_id == published[0]["external_id"]
    # A container that never reached media_publish says so for certain.
    await sim.script("INSTAGRAM", [{"fault": "error", "status": 500}])
    with pytest.raises(OutcomeUnknown) as again:
        await adapter.publish(http, acct, PostPayload(text(), [sim.media_url("a.jpg")]))
    assert (
        await adapter.find_published(
            http, acct, post, Lookup(since=lookup.since, ref=again.value.ref)
        )
        is None
    )


async def test_a_late_create_is_found_once_landed_and_not_before(env):
    settings, http, sim = env
    adapter = get_adapter(Platform.LINKEDIN, settings)
    acct = await connect(settings, http, Platform.LINKEDIN)
    lookup = window()
    post = PostPayload(f"Launch day (#hashtag) with @ada {text()}")
    await sim.script("LINKEDIN", [{"fault": "late", "delay": 0.5, "hold": 30}])
    async with httpx.AsyncClient(timeout=0.2) as impatient:
        with pytest.raises(OutcomeUnknown):
            await adapter.publish(impatient, acct, post)
    assert await adapter.find_published(http, acct, post, lookup) is None  # not landed yet

    async def found() -> Found | None:
        return await adapter.find_published(http, acct, post, lookup)

    external_id = (await until(found)).external_post_id
    assert [p["external_id"] for p in await sim.published("LINKEDIN")] == [external_id]
