"""The simulator's X answers match X's own OpenAPI description (v2.167)."""

from __future__ import annotations

import httpx
import pytest

from herald_platforms.x.openapi import response_schema, spec, validator
from tests.platform_sim.conftest import x_auth


def _valid(schema: str, instance: object) -> None:
    errors = list(validator(schema).iter_errors(instance))
    assert not errors, [e.message for e in errors][:5]


def _get_schema(path: str) -> str:
    content = spec()["paths"][path]["get"]["responses"]["200"]["content"]
    return str(content["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]


@pytest.fixture
async def x(sim_clean):
    async with (
        httpx.AsyncClient(base_url=sim_clean.base_url + "/x") as http,
        httpx.AsyncClient(base_url=sim_clean.base_url) as root,
    ):
        http.headers.update(await x_auth(root))
        yield http


async def test_create_lookup_and_timeline_answers(x):
    created = await x.post("/2/tweets", json={"text": "contract"})
    assert created.status_code == 201
    _valid(response_schema("/2/tweets", "201"), created.json())
    pid = created.json()["data"]["id"]
    lookup = await x.get("/2/tweets", params={"ids": f"{pid},1", "tweet.fields": "public_metrics"})
    _valid(_get_schema("/2/tweets"), lookup.json())
    me = await x.get("/2/users/me")
    _valid(_get_schema("/2/users/me"), me.json())
    timeline = await x.get(f"/2/users/{me.json()['data']['id']}/tweets")
    _valid(_get_schema("/2/users/{id}/tweets"), timeline.json())


async def test_media_answers(x):
    simple = await x.post(
        "/2/media/upload",
        files={"media": ("a", b"jpeg", "image/jpeg")},
        data={"media_category": "tweet_image"},
    )
    _valid(response_schema("/2/media/upload", "200"), simple.json())
    init = await x.post(
        "/2/media/upload/initialize",
        json={"media_type": "video/mp4", "total_bytes": 4, "media_category": "tweet_video"},
    )
    _valid(response_schema("/2/media/upload/initialize", "200"), init.json())
    mid = init.json()["data"]["id"]
    append = await x.post(
        f"/2/media/upload/{mid}/append",
        files={"media": ("c", b"abcd")},
        data={"segment_index": "0"},
    )
    _valid(response_schema("/2/media/upload/{id}/append", "200"), append.json())
    final = await x.post(f"/2/media/upload/{mid}/finalize")
    _valid(response_schema("/2/media/upload/{id}/finalize", "200"), final.json())


async def test_invalid_bodies_are_refused_like_x(x):
    unknown = await x.post(
        "/2/media/upload/initialize",
        json={
            "media_type": "video/mp4",
            "total_bytes": 4,
            "media_category": "tweet_video",
            "colour": "red",
        },
    )
    assert unknown.status_code == 400
    bad_reply = await x.post(
        "/2/tweets", json={"text": "x", "reply": {"in_reply_to_tweet_id": "abc"}}
    )
    assert bad_reply.status_code == 400
