"""Herald's adapters against the simulator's media rules, over real HTTP: Instagram's JPEG
and aspect-ratio checks and expiring containers, X's photos-or-one-video-or-one-GIF rule."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from herald_common.settings import PlatformSettings
from herald_db.enums import Platform
from herald_platform_sim.settings import SimSettings
from herald_platform_sim.testing import free_port, run_in_process
from herald_platforms.base import PostPayload
from herald_platforms.errors import Rejected, Transient
from herald_platforms.registry import get_adapter
from tests.platform_sim.conftest import until
from tests.platforms.integration.conftest import connect, text


async def instagram_calls(sim) -> int:  # type: ignore[no-untyped-def]
    return sum((await sim.requests()).get("INSTAGRAM", {}).values())


@pytest.mark.parametrize(
    ("name", "needle"),
    [
        ("a.png", r"JPEG images only; image 1 \(http.*/media/a\.png\) is PNG"),
        ("b.png?as=image/jpeg", "is PNG"),  # the bytes count, not the Content-Type
        ("tall-1000x1300.jpg", "between 4:5 .* is 1000x1300"),
        ("wide-1920x1000.jpg", r"1\.91:1 .* is 1920x1000"),
    ],
)
async def test_instagram_refuses_what_instagram_would_refuse_without_a_round_trip(
    env, name, needle
):
    settings, http, sim = env
    adapter = get_adapter(Platform.INSTAGRAM, settings)
    acct = await connect(settings, http, Platform.INSTAGRAM)
    before = await instagram_calls(sim)
    with pytest.raises(Rejected, match=needle):
        await adapter.publish(http, acct, PostPayload(text(), [sim.media_url(name)]))
    assert await instagram_calls(sim) == before  # nothing was sent to Instagram
    assert await sim.published("INSTAGRAM") == []


async def test_instagram_takes_the_ratios_instagram_takes(env):
    settings, http, sim = env
    adapter = get_adapter(Platform.INSTAGRAM, settings)
    acct = await connect(settings, http, Platform.INSTAGRAM)
    urls = [sim.media_url("p-800x1000.jpg"), sim.media_url("l-1910x1000.jpg")]
    done = await adapter.publish(http, acct, PostPayload(text(), urls))
    assert (await sim.published("INSTAGRAM"))[-1]["external_id"] == done.external_post_id


async def test_instagram_container_that_expires_is_made_again_on_retry():
    async with run_in_process(SimSettings(port=free_port(), container_delay_seconds=10**6)) as sim:
        settings = PlatformSettings.model_validate(sim.platform_settings_kwargs())
        adapter = get_adapter(Platform.INSTAGRAM, settings)
        adapter.poll_interval = 0.05  # type: ignore[attr-defined]
        adapter.poll_attempts = 10**6  # type: ignore[attr-defined]
        async with httpx.AsyncClient() as http:
            acct = await connect(settings, http, Platform.INSTAGRAM)
            post = PostPayload(text(), [sim.media_url()])
            attempt = asyncio.create_task(adapter.publish(http, acct, post))
            # The container is still processing when a day goes by.
            await until(lambda: _containers_made(sim))
            await sim.advance_clock(86400 + 60)
            with pytest.raises(Transient, match="expired"):
                await attempt
            assert await sim.published("INSTAGRAM") == []


async def _containers_made(sim) -> int:  # type: ignore[no-untyped-def]
    return (await sim.requests()).get("INSTAGRAM", {}).get("media", 0)


@pytest.mark.parametrize(
    ("names", "needle"),
    [
        (["a.jpg", "b.gif"], "1 photo, 1 GIF"),
        (["clip.mp4", "a.jpg"], "1 video, 1 photo"),
        (["a.gif", "b.gif"], "2 GIFs"),
    ],
)
async def test_x_refuses_mixed_media_before_uploading(env, names, needle):
    settings, http, sim = env
    adapter = get_adapter(Platform.TWITTER, settings)
    acct = await connect(settings, http, Platform.TWITTER)
    with pytest.raises(Rejected, match=re.escape(needle)) as info:
        await adapter.publish(http, acct, PostPayload(text(), [sim.media_url(n) for n in names]))
    assert "up to 4 photos, or 1 video, or 1 GIF" in info.value.message
    assert (await sim.requests()).get("TWITTER", {}).get("media", 0) == 0
    assert await sim.published("TWITTER") == []


@pytest.mark.parametrize("names", [["a.gif"], ["clip.mp4"], ["1.jpg", "2.jpg", "3.png", "4.jpg"]])
async def test_x_takes_one_gif_one_video_or_up_to_four_photos(env, names):
    settings, http, sim = env
    adapter = get_adapter(Platform.TWITTER, settings)
    acct = await connect(settings, http, Platform.TWITTER)
    done = await adapter.publish(http, acct, PostPayload(text(), [sim.media_url(n) for n in names]))
    arrived = (await sim.published("TWITTER"))[-1]
    assert arrived["external_id"] == done.external_post_id
    assert len(arrived["media"]) == len(names)
