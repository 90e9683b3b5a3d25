"""Instagram, Facebook and LinkedIn adapters against their documented payloads (respx)."""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from herald_platforms.base import PostPayload
from herald_platforms.errors import (
    AuthFailed,
    Duplicate,
    QuotaReached,
    RateLimited,
    Rejected,
    Transient,
)
from herald_platforms.facebook.client import FacebookAdapter
from herald_platforms.instagram.client import InstagramAdapter
from herald_platforms.linkedin.client import LinkedInAdapter
from tests.platforms.conftest import account, image, images_served

IG = "https://graph.instagram.com/v25.0"
FB = "https://graph.facebook.com/v25.0"
LI = "https://api.linkedin.com"


def graph_error(code: int, sub: int | None = None, status: int = 400) -> httpx.Response:
    err = {"message": "m", "type": "OAuthException", "code": code, "fbtrace_id": "x"}
    if sub:
        err["error_subcode"] = sub
    return httpx.Response(status, json={"error": err})


def ig_account(refresh: str | None = "refresh-1"):
    # Long-lived Instagram tokens last 60 days; this one is far from its refresh window.
    return account("1789", expires_in=50 * 86400, refresh=refresh)


def quota_left() -> None:
    images_served()
    respx.get(f"{IG}/1789/content_publishing_limit").respond(
        200,
        json={
            "data": [{"quota_usage": 3, "config": {"quota_total": 100, "quota_duration": 86400}}]
        },
    )


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


@pytest.fixture
def ig(settings, guard):
    adapter = InstagramAdapter(settings, guard)
    adapter.poll_interval = 0
    return adapter


@respx.mock
async def test_instagram_single_image(ig, http):
    quota_left()
    create = respx.post(f"{IG}/1789/media").respond(200, json={"id": "17889455560051444"})
    respx.get(f"{IG}/17889455560051444").respond(
        200, json={"status_code": "FINISHED", "id": "17889455560051444"}
    )
    publish = respx.post(f"{IG}/1789/media_publish").respond(200, json={"id": "9000"})
    result = await ig.publish(
        http, ig_account(), PostPayload("cap", ["https://cdn.example.com/a.jpg"])
    )
    assert result.external_post_id == "9000"
    assert form(create.calls[0].request)["image_url"] == "https://cdn.example.com/a.jpg"
    assert form(publish.calls[0].request)["creation_id"] == "17889455560051444"


@respx.mock
async def test_instagram_carousel(ig, http):
    quota_left()
    ids = iter(["c1", "c2", "parent"])
    create = respx.post(f"{IG}/1789/media").mock(
        side_effect=lambda r: httpx.Response(200, json={"id": next(ids)})
    )
    status = respx.route(
        method="GET", host="graph.instagram.com", path__regex=r"^/v25\.0/(c1|c2|parent)$"
    )
    status.side_effect = [
        httpx.Response(200, json={"status_code": "FINISHED"}),
        httpx.Response(200, json={"status_code": "FINISHED"}),
        httpx.Response(200, json={"status_code": "IN_PROGRESS"}),
        httpx.Response(200, json={"status_code": "FINISHED"}),
    ]
    respx.post(f"{IG}/1789/media_publish").respond(200, json={"id": "9001"})
    urls = ["https://cdn.example.com/1.jpg", "https://cdn.example.com/2.jpg"]
    result = await ig.publish(http, ig_account(), PostPayload("two", urls))
    assert result.external_post_id == "9001"
    parent = form(create.calls[2].request)
    assert parent["media_type"] == "CAROUSEL"
    assert parent["children"] == "c1,c2"
    assert form(create.calls[0].request)["is_carousel_item"] == "true"


@respx.mock
async def test_instagram_errors_sorted(ig, http):
    quota_left()
    route = respx.post(f"{IG}/1789/media")
    post = PostPayload("x", ["https://cdn.example.com/a.jpg"])
    for response, kind in (
        (graph_error(190, 463), AuthFailed),
        (graph_error(80002), RateLimited),
        (graph_error(9, 2207042), QuotaReached),
        (graph_error(100, 2207028), Rejected),
        (graph_error(2, status=500), Transient),
    ):
        route.mock(return_value=response)
        with pytest.raises(kind):
            await ig.publish(http, ig_account(refresh=None), post)


@respx.mock
async def test_instagram_metrics_in_batches_of_50(ig, http):
    def answer(request: httpx.Request) -> httpx.Response:
        ops = json.loads(form(request)["batch"])
        assert len(ops) <= 50
        body = json.dumps(
            {
                "data": [
                    {"name": n, "period": "lifetime", "values": [{"value": 5}]}
                    for n in ("views", "likes", "comments", "shares")
                ]
            }
        )
        return httpx.Response(200, json=[{"code": 200, "headers": [], "body": body} for _ in ops])

    route = respx.post("https://graph.instagram.com/").mock(side_effect=answer)
    metrics = await ig.fetch_metrics(http, ig_account(), [str(i) for i in range(120)])
    assert route.call_count == 3
    assert len(metrics) == 120
    assert metrics[0].impressions == 5


@respx.mock
async def test_facebook_text_photo_and_album(settings, guard, http):
    fb = FacebookAdapter(settings, guard)
    feed = respx.post(f"{FB}/55/feed").respond(200, json={"id": "55_1"})
    photos = respx.post(f"{FB}/55/photos")
    photos.side_effect = [
        httpx.Response(200, json={"id": "p1", "post_id": "55_2"}),
        httpx.Response(200, json={"id": "p2"}),
        httpx.Response(200, json={"id": "p3"}),
    ]
    acct = account("55", refresh=None)
    assert (await fb.publish(http, acct, PostPayload("hello"))).external_post_id == "55_1"
    one = await fb.publish(http, acct, PostPayload("pic", ["https://cdn.example.com/a.jpg"]))
    assert one.external_post_id == "55_2"
    urls = ["https://cdn.example.com/1.jpg", "https://cdn.example.com/2.jpg"]
    await fb.publish(http, acct, PostPayload("album", urls))
    sent = form(feed.calls[1].request)
    assert json.loads(sent["attached_media[0]"]) == {"media_fbid": "p2"}
    assert form(photos.calls[1].request)["published"] == "false"


@respx.mock
async def test_facebook_errors_sorted(settings, guard, http):
    fb = FacebookAdapter(settings, guard)
    route = respx.post(f"{FB}/55/feed")
    for response, kind in (
        (graph_error(506), Duplicate),
        (graph_error(190, 460), AuthFailed),
        (graph_error(32), RateLimited),
        (graph_error(368), Rejected),
    ):
        route.mock(return_value=response)
        with pytest.raises(kind):
            await fb.publish(http, account("55", refresh=None), PostPayload("x"))


@respx.mock
async def test_linkedin_post_and_image(settings, guard, http):
    li = LinkedInAdapter(settings, guard)
    respx.get("https://cdn.example.com/a.jpg").respond(
        200, content=b"img", headers={"content-type": "image/jpeg"}
    )
    respx.post(f"{LI}/rest/images").respond(
        200,
        json={
            "value": {
                "uploadUrlExpiresAt": 1,
                "uploadUrl": "https://www.linkedin.com/dms-uploads/x",
                "image": "urn:li:image:C4E10AQ",
            }
        },
    )
    put = respx.put("https://www.linkedin.com/dms-uploads/x").respond(201)
    post = respx.post(f"{LI}/rest/posts").respond(
        201, headers={"x-restli-id": "urn:li:share:6844785523593134080"}
    )
    acct = account("abc", author_urn="urn:li:person:abc")
    result = await li.publish(http, acct, PostPayload("hello", ["https://cdn.example.com/a.jpg"]))
    assert result.external_post_id == "urn:li:share:6844785523593134080"
    assert put.calls[0].request.content == b"img"
    body = json.loads(post.calls[0].request.content)
    assert body["author"] == "urn:li:person:abc"
    assert body["content"] == {"media": {"id": "urn:li:image:C4E10AQ"}}
    headers = post.calls[0].request.headers
    assert headers["linkedin-version"] == settings.linkedin_version
    assert headers["x-restli-protocol-version"] == "2.0.0"


@respx.mock
async def test_linkedin_errors_sorted(settings, guard, http):
    li = LinkedInAdapter(settings, guard)
    route = respx.post(f"{LI}/rest/posts")
    dup = {
        "status": 422,
        "message": "Content is a duplicate of urn:li:share:1",
        "errorDetails": {
            "inputErrors": [
                {"code": "DUPLICATE_POST", "input": {}, "description": "Duplicate post is detected"}
            ]
        },
    }
    for response, kind in (
        (httpx.Response(422, json=dup), Duplicate),
        (httpx.Response(401, json={"status": 401}), AuthFailed),
        (httpx.Response(429, json={"status": 429}), RateLimited),
        (httpx.Response(403, json={"status": 403}), Rejected),
    ):
        route.mock(return_value=response)
        with pytest.raises(kind):
            await li.publish(http, account("abc", refresh=None), PostPayload("x"))


@respx.mock
async def test_instagram_refreshes_a_token_within_a_week_of_expiry(ig, http):
    refresh = respx.get("https://graph.instagram.com/refresh_access_token").respond(
        200, json={"access_token": "ig-2", "token_type": "bearer", "expires_in": 5183944}
    )
    respx.get(f"{IG}/1789/media").respond(200, json={"data": []})
    await ig.find_published(http, account("1789", expires_in=3 * 86400), PostPayload("x"))
    assert refresh.called


@respx.mock
async def test_instagram_full_quota_waits(ig, http):
    images_served()
    respx.get(f"{IG}/1789/content_publishing_limit").respond(
        200,
        json={
            "data": [{"quota_usage": 50, "config": {"quota_total": 50, "quota_duration": 86400}}]
        },
    )
    create = respx.post(f"{IG}/1789/media").respond(200, json={"id": "1"})
    with pytest.raises(RateLimited):
        await ig.publish(http, ig_account(), PostPayload("x", ["https://cdn.example.com/a.jpg"]))
    assert not create.called


@respx.mock
@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (image(fmt="PNG"), "JPEG images only; image 1 (https://cdn.example.com/a.jpg) is PNG"),
        (b"<html>not found</html>", "is not an image"),
        (image((1000, 1300)), "between 4:5 (portrait) and 1.91:1 (landscape)"),
        (image((1920, 1000)), "is 1920x1000"),
    ],
)
async def test_instagram_refuses_what_instagram_would_refuse_before_any_request(
    ig, http, data, needle
):
    images_served(data)  # served as image/jpeg: the bytes are what counts
    graph = respx.route(host="graph.instagram.com")
    with pytest.raises(Rejected, match=re.escape(needle)):
        await ig.publish(http, ig_account(), PostPayload("x", ["https://cdn.example.com/a.jpg"]))
    assert not graph.called
