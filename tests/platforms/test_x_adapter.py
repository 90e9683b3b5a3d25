"""The X adapter against X's documented payloads (respx), with X's own OpenAPI as judge."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
import respx

from herald_platforms.base import Found, PostPayload
from herald_platforms.errors import AuthFailed, Duplicate, OutcomeUnknown, RateLimited, Transient
from herald_platforms.x.client import XAdapter
from herald_platforms.x.openapi import request_schema, response_schema, validator
from tests.platforms.conftest import account

API = "https://api.x.com"
CREATED = {
    "data": {
        "id": "1346889436626259968",
        "text": "Hello from the API!",
        "edit_history_tweet_ids": ["1346889436626259968"],
    }
}
TOKEN = {
    "token_type": "bearer",
    "expires_in": 7200,
    "access_token": "access-2",
    "scope": "tweet.read tweet.write users.read offline.access",
    "refresh_token": "refresh-2",
}
UPLOADED = {
    "data": {
        "id": "1880028106020515840",
        "media_key": "3_1880028106020515840",
        "size": 1024,
        "expires_after_secs": 86400,
        "image": {"image_type": "image/jpeg", "w": 1, "h": 1},
    }
}


@pytest.fixture
def adapter(settings, guard):
    return XAdapter(settings, guard)


def _valid(schema: str, instance: object) -> None:
    errors = list(validator(schema).iter_errors(instance))
    assert not errors, [e.message for e in errors]


@respx.mock
async def test_text_post_is_valid_per_x_openapi(adapter, http):
    route = respx.post(f"{API}/2/tweets").respond(201, json=CREATED)
    acct = account()
    result = await adapter.publish(http, acct, PostPayload("Hello from the API!"))
    assert result.external_post_id == "1346889436626259968"
    assert acct.tokens.renewals == 0
    sent = json.loads(route.calls[0].request.content)
    assert sent == {"text": "Hello from the API!"}
    assert route.calls[0].request.headers["authorization"] == "Bearer access-1"
    _valid(request_schema("/2/tweets"), sent)
    _valid(response_schema("/2/tweets", "201"), CREATED)


@respx.mock
async def test_post_with_images_uploads_then_attaches(adapter, http):
    respx.get("https://cdn.example.com/a.jpg").respond(
        200, content=b"\xff\xd8jpeg", headers={"content-type": "image/jpeg"}
    )
    upload = respx.post(f"{API}/2/media/upload").respond(200, json=UPLOADED)
    post = respx.post(f"{API}/2/tweets").respond(201, json=CREATED)
    await adapter.publish(http, account(), PostPayload("pic", ["https://cdn.example.com/a.jpg"]))
    assert b'name="media_category"' in upload.calls[0].request.content
    sent = json.loads(post.calls[0].request.content)
    assert sent == {"text": "pic", "media": {"media_ids": ["1880028106020515840"]}}
    _valid(request_schema("/2/tweets"), sent)


@respx.mock
async def test_chunked_upload_requests_are_valid_per_x_openapi(adapter, http):
    big = b"v" * (1024 * 1024 + 10)
    respx.get("https://cdn.example.com/v.mp4").respond(
        200, content=big, headers={"content-type": "video/mp4"}
    )
    init = respx.post(f"{API}/2/media/upload/initialize").respond(
        200, json={"data": {"id": "42", "media_key": "7_42", "expires_after_secs": 86400}}
    )
    append = respx.post(f"{API}/2/media/upload/42/append").respond(
        200, json={"data": {"expires_at": 1700000000}}
    )
    respx.post(f"{API}/2/media/upload/42/finalize").respond(
        200,
        json={
            "data": {"id": "42", "media_key": "7_42", "size": len(big), "expires_after_secs": 86400}
        },
    )
    respx.post(f"{API}/2/tweets").respond(201, json=CREATED)
    await adapter.publish(http, account(), PostPayload("clip", ["https://cdn.example.com/v.mp4"]))
    sent = json.loads(init.calls[0].request.content)
    _valid(request_schema("/2/media/upload/initialize"), sent)
    assert sent["total_bytes"] == len(big)
    assert len(append.calls) == 2  # 1 MiB chunks


@respx.mock
async def test_token_about_to_expire_is_refreshed_first(adapter, http):
    token = respx.post(f"{API}/2/oauth2/token").respond(200, json=TOKEN)
    post = respx.post(f"{API}/2/tweets").respond(201, json=CREATED)
    acct = account(expires_in=60)
    await adapter.publish(http, acct, PostPayload("hi"))
    assert b"grant_type=refresh_token" in token.calls[0].request.content
    assert token.calls[0].request.headers["authorization"].startswith("Basic ")
    assert post.calls[0].request.headers["authorization"] == "Bearer access-2"
    assert acct.credentials.access_token == "access-2"
    assert acct.credentials.refresh_token == "refresh-2"


@respx.mock
async def test_401_refreshes_once_then_retries(adapter, http):
    respx.post(f"{API}/2/oauth2/token").respond(200, json={**TOKEN, "refresh_token": None})
    respx.post(f"{API}/2/tweets").mock(
        side_effect=[
            httpx.Response(401, json={"title": "Unauthorized", "status": 401}),
            httpx.Response(201, json=CREATED),
        ]
    )
    acct = account()
    result = await adapter.publish(http, acct, PostPayload("hi"))
    assert result.external_post_id == CREATED["data"]["id"]
    assert acct.credentials.access_token == "access-2"
    # No new refresh token came back: the old one is kept.
    assert acct.credentials.refresh_token == "refresh-1"


@respx.mock
async def test_revoked_token_is_auth_failed(adapter, http):
    respx.post(f"{API}/2/oauth2/token").respond(400, json={"error": "invalid_request"})
    respx.post(f"{API}/2/tweets").respond(401, json={"title": "Unauthorized"})
    with pytest.raises(AuthFailed):
        await adapter.publish(http, account(), PostPayload("hi"))


@respx.mock
async def test_refresh_endpoint_down_is_transient_not_dead(adapter, http):
    respx.post(f"{API}/2/oauth2/token").respond(503)
    with pytest.raises(Transient) as info:
        await adapter.publish(http, account(expires_in=-30), PostPayload("hi"))
    assert not isinstance(info.value, AuthFailed)


@respx.mock
async def test_a_renewal_put_off_does_not_stop_a_token_that_still_works(adapter, http):
    token = respx.post(f"{API}/2/oauth2/token").respond(503)
    post = respx.post(f"{API}/2/tweets").respond(201, json=CREATED)
    acct = account(expires_in=30)
    result = await adapter.publish(http, acct, PostPayload("hi"))
    assert token.called
    assert result.external_post_id == CREATED["data"]["id"]
    assert post.calls[0].request.headers["authorization"] == "Bearer access-1"
    assert acct.tokens.renewals == 0


@respx.mock
async def test_failures_are_sorted(adapter, http):
    route = respx.post(f"{API}/2/tweets")
    route.respond(
        403,
        json={
            "title": "Forbidden",
            "detail": "You are not allowed to create a Tweet with duplicate content.",
            "type": "about:blank",
        },
    )
    with pytest.raises(Duplicate):
        await adapter.publish(http, account(), PostPayload("again"))
    route.respond(429, json={"title": "Too Many Requests"}, headers={"retry-after": "7"})
    with pytest.raises(RateLimited) as limited:
        await adapter.publish(http, account(), PostPayload("x"))
    assert limited.value.retry_after == 7
    route.respond(503, json={"title": "Service Unavailable"})
    with pytest.raises(OutcomeUnknown):
        await adapter.publish(http, account(), PostPayload("x"))
    route.respond(201, json={"data": {"edit_history_tweet_ids": [], "id": "", "text": ""}})
    with pytest.raises(OutcomeUnknown):
        await adapter.publish(http, account(), PostPayload("x"))
    route.side_effect = httpx.ReadTimeout("slow")
    with pytest.raises(OutcomeUnknown):
        await adapter.publish(http, account(), PostPayload("x"))
    route.side_effect = httpx.ConnectError("refused")
    with pytest.raises(Transient) as err:
        await adapter.publish(http, account(), PostPayload("x"))
    assert not isinstance(err.value, OutcomeUnknown)


@respx.mock
async def test_find_published_matches_the_text(adapter, http):
    respx.get(f"{API}/2/users/2244994945/tweets").respond(
        200,
        json={
            "data": [
                {"id": "1", "text": "other", "edit_history_tweet_ids": ["1"]},
                {
                    "id": "2",
                    "text": "mine",
                    "edit_history_tweet_ids": ["2"],
                    "created_at": "2026-11-25T18:04:01.250Z",
                },
            ]
        },
    )
    # The id, and the creation time X gives (the post's time as X has it).
    assert await adapter.find_published(http, account(), PostPayload("mine")) == Found(
        "2", datetime(2026, 11, 25, 18, 4, 1, 250000, tzinfo=UTC)
    )
    assert await adapter.find_published(http, account(), PostPayload("absent")) is None


@respx.mock
async def test_metrics_for_250_ids_take_three_lookups(adapter, http):
    def answer(request: httpx.Request) -> httpx.Response:
        ids = request.url.params["ids"].split(",")
        assert len(ids) <= 100
        return httpx.Response(
            200,
            json={
                "data": [
                    {
                        "id": i,
                        "text": "t",
                        "public_metrics": {
                            "retweet_count": 1,
                            "reply_count": 2,
                            "like_count": 3,
                            "quote_count": 4,
                            "bookmark_count": 0,
                            "impression_count": 100,
                        },
                    }
                    for i in ids
                ]
            },
        )

    route = respx.get(f"{API}/2/tweets").mock(side_effect=answer)
    ids = [str(10**18 + i) for i in range(250)]
    metrics = await adapter.fetch_metrics(http, account(), ids)
    assert route.call_count == 3
    assert len(metrics) == 250
    assert (metrics[0].likes, metrics[0].shares, metrics[0].comments, metrics[0].impressions) == (
        3,
        5,
        2,
        100,
    )


def test_authorize_url_uses_pkce(adapter):
    url = httpx.URL(adapter.authorize_url("st", "https://app/cb", "challenge"))
    assert url.host == "x.com"
    assert url.params["code_challenge"] == "challenge"
    assert url.params["code_challenge_method"] == "S256"
    assert "offline.access" in url.params["scope"]
