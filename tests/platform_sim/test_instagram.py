"""Instagram as documented: images judged on the bytes Instagram fetches (JPEG only, aspect
ratio 4:5 to 1.91:1), containers that expire after 24 hours."""

from __future__ import annotations

import pytest

from tests.platform_sim.conftest import ig_token


@pytest.fixture
async def ig(http):
    token, uid = await ig_token(http)
    return http, token, uid


async def container(ig, image_url: str):  # type: ignore[no-untyped-def]
    http, token, uid = ig
    return await http.post(
        f"/instagram/v25.0/{uid}/media", data={"image_url": image_url, "access_token": token}
    )


@pytest.mark.parametrize(
    ("name", "subcode"),
    [
        ("square.jpg", None),
        ("portrait-800x1000.jpg", None),  # 4:5, the tallest allowed
        ("landscape-1910x1000.jpg", None),  # 1.91:1, the widest allowed
        ("too-tall-1000x1300.jpg", 2207009),
        ("too-wide-1920x1000.jpg", 2207009),
        ("a.png", 2207005),
        ("a.png?as=image/jpeg", 2207005),  # a PNG said to be a JPEG is still a PNG
        ("a.webp", 2207005),
        ("a.gif", 2207005),
    ],
)
async def test_images_are_judged_on_their_bytes(ig, sim_clean, name, subcode):
    r = await container(ig, sim_clean.media_url(name))
    if subcode is None:
        assert r.status_code == 200, r.text
        assert r.json()["id"]
    else:
        assert r.status_code == 400
        assert r.json()["error"]["error_subcode"] == subcode


async def test_an_image_that_cannot_be_fetched_is_refused(ig):
    r = await container(ig, "http://127.0.0.1:9/nothing.jpg")
    assert (r.json()["error"]["code"], r.json()["error"]["error_subcode"]) == (9004, 2207052)


async def test_containers_expire_after_24_hours(ig, sim_clean):
    http, token, uid = ig
    cid = (await container(ig, sim_clean.media_url())).json()["id"]

    async def status() -> str:
        r = await http.get(
            f"/instagram/v25.0/{cid}", params={"fields": "status_code", "access_token": token}
        )
        return str(r.json()["status_code"])

    assert await status() == "FINISHED"
    await sim_clean.advance_clock(24 * 3600 - 60)
    assert await status() == "FINISHED"
    await sim_clean.advance_clock(120)
    assert await status() == "EXPIRED"
    r = await http.post(
        f"/instagram/v25.0/{uid}/media_publish", data={"creation_id": cid, "access_token": token}
    )
    assert r.status_code == 400
    assert (r.json()["error"]["code"], r.json()["error"]["error_subcode"]) == (-2, 2207020)
    assert await sim_clean.published("INSTAGRAM") == []


async def test_media_publish_past_the_publishing_limit_is_refused(ig, sim_clean):
    http, token, uid = ig
    await sim_clean.set_rate_limit("INSTAGRAM", 1, 86400)
    ids = [(await container(ig, sim_clean.media_url())).json()["id"] for _ in range(2)]

    async def publish(cid: str):  # type: ignore[no-untyped-def]
        return await http.post(
            f"/instagram/v25.0/{uid}/media_publish",
            data={"creation_id": cid, "access_token": token},
        )

    assert (await publish(ids[0])).status_code == 200
    r = await publish(ids[1])
    assert r.status_code == 400
    assert (r.json()["error"]["code"], r.json()["error"]["error_subcode"]) == (9, 2207042)
    assert len(await sim_clean.published("INSTAGRAM")) == 1
