"""The platforms' harder error classes on their documented payloads (respx):
X's usage cap, LinkedIn's write conflict on a create, Instagram's restricted-activity block
(4/2207051) and a throttled Instagram token refresh."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from herald_platforms.base import PostPayload
from herald_platforms.errors import (
    AuthFailed,
    OutcomeUnknown,
    RateLimited,
    Rejected,
    Transient,
    UsageCapped,
)
from herald_platforms.instagram.client import InstagramAdapter
from herald_platforms.linkedin.client import LinkedInAdapter
from herald_platforms.linkedin.errors import classify as linkedin
from herald_platforms.meta.graph import classify as graph
from herald_platforms.x.client import XAdapter
from herald_platforms.x.errors import classify as x
from tests.platforms.conftest import account, images_served

IG = "https://graph.instagram.com/v25.0"
LI = "https://api.linkedin.com"

# X's monthly product cap, as X answers it.
USAGE_CAPPED = {
    "title": "UsageCapExceeded",
    "detail": "Usage cap exceeded: Monthly product cap",
    "type": "https://api.x.com/2/problems/usage-capped",
    "period": "Monthly",
    "scope": "Product",
}
# LinkedIn's Posts API on a write conflict.
WRITE_CONFLICT = {"status": 409, "message": "A write conflict occurred. Retry the request."}
# Instagram's block of activity it suspects as spam: 4 / 2207051, may come after a publish.
RESTRICTED = {
    "error": {
        "message": "We restrict certain activity to protect our community.",
        "type": "OAuthException",
        "code": 4,
        "error_subcode": 2207051,
        "fbtrace_id": "AbCdEf",
    }
}
# Meta throttles answer 400 with the code and this header, no Retry-After.
APP_LIMIT = {
    "error": {
        "message": "(#4) Application request limit reached",
        "type": "OAuthException",
        "code": 4,
        "fbtrace_id": "AbCdEf",
    }
}
APP_LIMIT_HEADERS = {
    "www-authenticate": 'OAuth "Facebook Platform" "invalid_request" '
    '"(#4) Application request limit reached"'
}


def resp(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers or {})


# -- X: usage cap ----------------------------------------------------------------------------


def test_x_monthly_usage_cap_waits_for_the_next_month_and_says_when():
    err = x(resp(429, USAGE_CAPPED))
    assert isinstance(err, UsageCapped)
    now = datetime.now(UTC)
    following = (now.replace(day=1) + timedelta(days=32)).replace(day=1)
    assert err.resets_at == following.replace(hour=0, minute=0, second=0, microsecond=0)
    assert err.period == "Monthly"
    expected = (err.resets_at - now).total_seconds()
    assert abs(err.retry_after - expected) < 5
    assert f"{err.resets_at:%Y-%m-%d} 00:00 UTC" in err.message
    assert "monthly usage cap" in err.message


def test_x_daily_usage_cap_uses_the_24_hour_reset_header():
    reset = int((datetime.now(UTC) + timedelta(hours=5)).timestamp())
    body = {**USAGE_CAPPED, "detail": "Usage cap exceeded: Daily", "period": "Daily"}
    err = x(resp(429, body, {"x-user-limit-24hour-reset": str(reset)}))
    assert isinstance(err, UsageCapped)
    assert err.resets_at == datetime.fromtimestamp(reset, UTC)
    assert 5 * 3600 - 10 < err.retry_after <= 5 * 3600


def test_x_plain_429_is_not_a_usage_cap():
    err = x(resp(429, {"title": "Too Many Requests", "type": "about:blank", "status": 429}))
    assert type(err) is RateLimited


@respx.mock
async def test_x_publish_hitting_the_usage_cap_raises_it(settings, guard, http):
    respx.post("https://api.x.com/2/tweets").respond(429, json=USAGE_CAPPED)
    with pytest.raises(UsageCapped):
        await XAdapter(settings, guard).publish(http, account(), PostPayload("hi"))


# -- LinkedIn: 409 on a create ----------------------------------------------------------------


def test_linkedin_write_conflict_is_unknown_on_a_create_and_transient_elsewhere():
    assert isinstance(linkedin(resp(409, WRITE_CONFLICT), creates=True), OutcomeUnknown)
    assert type(linkedin(resp(409, WRITE_CONFLICT))) is Transient


@respx.mock
async def test_linkedin_publish_with_a_write_conflict_is_an_unknown_outcome(settings, guard, http):
    respx.post(f"{LI}/rest/posts").respond(409, json=WRITE_CONFLICT)
    with pytest.raises(OutcomeUnknown, match="checked before any retry"):
        await LinkedInAdapter(settings, guard).publish(
            http, account("abc", author_urn="urn:li:person:abc"), PostPayload("hi")
        )


# -- Instagram: restricted activity (4/2207051) --------------------------------------------------


def test_instagram_restricted_activity_is_unknown_after_a_publish_not_a_throttle():
    after_publish = graph(resp(400, RESTRICTED), creates=True)
    assert isinstance(after_publish, OutcomeUnknown)
    assert not isinstance(after_publish, RateLimited)
    assert type(graph(resp(400, RESTRICTED))) is Rejected
    # Code 4 without that subcode stays the app rate limit it is.
    assert type(graph(resp(400, APP_LIMIT, APP_LIMIT_HEADERS))) is RateLimited


@pytest.fixture
def ig(settings, guard):
    adapter = InstagramAdapter(settings, guard)
    adapter.poll_interval = 0
    return adapter


def quota_left() -> None:
    images_served()
    respx.get(f"{IG}/1789/content_publishing_limit").respond(
        200, json={"data": [{"quota_usage": 1, "config": {"quota_total": 100}}]}
    )


def _ready_container() -> None:
    quota_left()
    respx.post(f"{IG}/1789/media").respond(200, json={"id": "17889455560051444"})
    respx.get(f"{IG}/17889455560051444").respond(
        200, json={"status_code": "FINISHED", "id": "17889455560051444"}
    )


@respx.mock
async def test_instagram_media_publish_blocked_as_restricted_is_checked_not_retried(ig, http):
    _ready_container()
    publish = respx.post(f"{IG}/1789/media_publish").respond(400, json=RESTRICTED)
    acct = account("1789", expires_in=50 * 86400)
    with pytest.raises(OutcomeUnknown):
        await ig.publish(http, acct, PostPayload("x", ["https://cdn.example.com/a.jpg"]))
    assert publish.call_count == 1  # not sent again by the adapter


@respx.mock
async def test_instagram_container_blocked_as_restricted_is_refused(ig, http):
    quota_left()
    respx.post(f"{IG}/1789/media").respond(400, json=RESTRICTED)
    acct = account("1789", expires_in=50 * 86400)
    with pytest.raises(Rejected, match="restricted"):
        await ig.publish(http, acct, PostPayload("x", ["https://cdn.example.com/a.jpg"]))


# -- Instagram: a throttled token refresh ------------------------------------------------------


@respx.mock
async def test_instagram_refresh_throttled_is_a_rate_limit_not_an_auth_failure(ig, http):
    respx.get("https://graph.instagram.com/refresh_access_token").respond(
        400, json=APP_LIMIT, headers=APP_LIMIT_HEADERS
    )
    acct = account("1789", expires_in=3 * 86400)
    with pytest.raises(RateLimited) as info:
        await ig.refresh(http, acct.credentials)
    assert not isinstance(info.value, AuthFailed)


@respx.mock
async def test_instagram_refresh_refused_is_an_auth_failure(ig, http):
    respx.get("https://graph.instagram.com/refresh_access_token").respond(
        400,
        json={
            "error": {
                "message": "Error validating access token: Session has expired.",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 463,
                "fbtrace_id": "AbCdEf",
            }
        },
    )
    with pytest.raises(AuthFailed, match="reconnect"):
        await ig.refresh(http, account("1789", expires_in=3 * 86400).credentials)


@respx.mock
async def test_instagram_publishes_with_its_token_while_the_early_refresh_is_throttled(ig, http):
    refresh = respx.get("https://graph.instagram.com/refresh_access_token").respond(
        400, json=APP_LIMIT, headers=APP_LIMIT_HEADERS
    )
    _ready_container()
    publish = respx.post(f"{IG}/1789/media_publish").respond(200, json={"id": "1790"})
    # Three days left: inside the week-ahead renewal window, far from expiry.
    acct = account("1789", expires_in=3 * 86400)
    result = await ig.publish(http, acct, PostPayload("x", ["https://cdn.example.com/a.jpg"]))
    assert refresh.called
    assert result.external_post_id == "1790"
    assert "access_token=access-1" in publish.calls[0].request.content.decode()
    assert acct.tokens.renewals == 0
