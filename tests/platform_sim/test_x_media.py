"""X's media rules on a post: up to 4 photos, or 1 video, or 1 animated GIF, not mixed; media
ids belong to the user who uploaded them and expire."""

from __future__ import annotations

import httpx
import pytest

from tests.platform_sim.conftest import x_auth, x_token


async def upload(http: httpx.AsyncClient, headers: dict[str, str], category: str) -> str:
    r = await http.post(
        "/x/2/media/upload",
        files={"media": ("m", b"\x47\x49\x46\x38", "application/octet-stream")},
        data={"media_category": category},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["id"])


async def video(http: httpx.AsyncClient, headers: dict[str, str]) -> str:
    init = await http.post(
        "/x/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": 4, "media_category": "tweet_video"},
        headers=headers,
    )
    mid = str(init.json()["data"]["id"])
    await http.post(
        f"/x/2/media/upload/{mid}/append",
        files={"media": ("c", b"abcd")},
        data={"segment_index": "0"},
        headers=headers,
    )
    final = await http.post(f"/x/2/media/upload/{mid}/finalize", headers=headers)
    assert final.json()["data"]["processing_info"]["state"] == "pending"
    status = await http.get(
        "/x/2/media/upload", params={"command": "STATUS", "media_id": mid}, headers=headers
    )
    assert status.json()["data"]["processing_info"]["state"] == "succeeded"
    return mid


async def post(http: httpx.AsyncClient, headers: dict[str, str], ids: list[str]) -> httpx.Response:
    return await http.post(
        "/x/2/tweets", json={"text": "media", "media": {"media_ids": ids}}, headers=headers
    )


@pytest.mark.parametrize(
    ("kinds", "ok"),
    [
        (["photo"] * 4, True),
        (["gif"], True),
        (["video"], True),
        (["photo", "gif"], False),
        (["gif", "gif"], False),
        (["video", "photo"], False),
        (["video", "video"], False),
    ],
)
async def test_four_photos_or_one_video_or_one_gif(http, kinds, ok):
    h = await x_auth(http)
    ids = []
    for kind in kinds:
        if kind == "video":
            ids.append(await video(http, h))
        else:
            ids.append(await upload(http, h, "tweet_gif" if kind == "gif" else "tweet_image"))
    r = await post(http, h, ids)
    if ok:
        assert r.status_code == 201, r.text
    else:
        assert r.status_code == 400
        assert "up to 4 photos, or 1 video, or 1 animated GIF" in r.json()["detail"]


async def test_five_photos_are_refused_by_the_schema(http):
    h = await x_auth(http)
    ids = [await upload(http, h, "tweet_image") for _ in range(5)]
    r = await post(http, h, ids)
    assert r.status_code == 400


async def test_media_belongs_to_its_uploader_and_expires(http, sim_clean):
    mine = await x_auth(http, "me")
    other = await x_auth(http, "other")
    theirs = await upload(http, other, "tweet_image")
    assert (await post(http, mine, [theirs])).status_code == 400
    tokens = await x_token(http, "me")
    mid = await upload(http, {"authorization": f"Bearer {tokens['access_token']}"}, "tweet_image")
    await sim_clean.advance_clock(86400 + 60)  # media ids last 24 hours
    fresh = await http.post(
        "/x/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    h = {"authorization": f"Bearer {fresh.json()['access_token']}"}
    expired = await post(http, h, [mid])
    assert expired.status_code == 400
    assert f"Invalid media id {mid}" in expired.json()["detail"]
