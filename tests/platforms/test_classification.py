"""Each platform's documented error answers land in the right class (the answers each
adapter's ``errors`` module describes)."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from herald_platforms.errors import (
    AuthFailed,
    Duplicate,
    OutcomeUnknown,
    QuotaReached,
    RateLimited,
    Rejected,
    Transient,
    UsageCapped,
)
from herald_platforms.linkedin.errors import classify as linkedin
from herald_platforms.meta.graph import classify as graph
from herald_platforms.x.errors import classify as x


def resp(status: int, body: object, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body).encode(), headers=headers or {})


def graph_body(code: int, sub: int | None = None) -> dict:
    err = {"message": "m", "type": "OAuthException", "code": code, "fbtrace_id": "t"}
    if sub:
        err["error_subcode"] = sub
    return {"error": err}


X_CASES = [
    (
        resp(
            401,
            {
                "title": "Unauthorized",
                "type": "about:blank",
                "status": 401,
                "detail": "Unauthorized",
            },
        ),
        AuthFailed,
    ),
    (
        resp(
            403,
            {
                "title": "Forbidden",
                "type": "about:blank",
                "status": 403,
                "detail": "You are not allowed to create a Tweet with duplicate content.",
            },
        ),
        Duplicate,
    ),
    (
        resp(
            403,
            {
                "title": "Forbidden",
                "detail": "You are not permitted to perform this action.",
                "type": "about:blank",
                "status": 403,
            },
        ),
        Rejected,
    ),
    (
        resp(
            400,
            {
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.x.com/2/problems/invalid-request",
            },
        ),
        Rejected,
    ),
    (
        resp(
            429,
            {
                "title": "Too Many Requests",
                "detail": "Too Many Requests",
                "type": "about:blank",
                "status": 429,
            },
            {"x-rate-limit-reset": str(int(time.time()) + 120)},
        ),
        RateLimited,
    ),
    (
        resp(
            429,
            {
                "title": "UsageCapExceeded",
                "detail": "Usage cap exceeded: Monthly product cap",
                "type": "https://api.x.com/2/problems/usage-capped",
                "period": "Monthly",
                "scope": "Product",
            },
        ),
        UsageCapped,
    ),
    (resp(503, {"title": "Service Unavailable"}), Transient),
]


@pytest.mark.parametrize(("response", "kind"), X_CASES)
def test_x(response, kind):
    err = x(response)
    assert type(err) is kind


def test_x_rate_limit_waits_until_the_reset():
    reset = int(time.time()) + 300
    err = x(resp(429, {"title": "Too Many Requests"}, {"x-rate-limit-reset": str(reset)}))
    assert 290 <= err.retry_after <= 301
    capped = x(resp(429, {"type": "https://api.x.com/2/problems/usage-capped"}))
    assert capped.retry_after >= 3600


def test_x_5xx_on_a_create_is_an_unknown_outcome():
    assert isinstance(x(resp(500, {}), creates=True), OutcomeUnknown)
    assert type(x(resp(500, {}), creates=False)) is Transient


META_CASES = [
    (400, graph_body(190, 463), AuthFailed),
    (400, graph_body(190), AuthFailed),
    (400, graph_body(102), AuthFailed),
    (400, graph_body(4), RateLimited),
    (400, graph_body(17), RateLimited),
    (400, graph_body(32), RateLimited),
    (400, graph_body(613), RateLimited),
    (400, graph_body(80001), RateLimited),
    (400, graph_body(80002), RateLimited),
    (400, graph_body(9, 2207042), QuotaReached),
    (400, graph_body(9007, 2207027), Transient),
    (500, graph_body(1), Transient),
    (400, graph_body(2), Transient),
    (400, graph_body(506), Duplicate),
    (400, graph_body(100, 33), Rejected),
    (403, graph_body(200), Rejected),
    (400, graph_body(10), Rejected),
    (400, graph_body(368), Rejected),
    (400, graph_body(36003, 2207009), Rejected),
]


@pytest.mark.parametrize(("status", "body", "kind"), META_CASES)
def test_meta(status, body, kind):
    assert type(graph(resp(status, body))) is kind


def test_meta_throttle_uses_the_usage_header():
    usage = {
        "123": [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 10,
                "total_time": 10,
                "estimated_time_to_regain_access": 7,
            }
        ]
    }
    err = graph(resp(400, graph_body(80001), {"x-business-use-case-usage": json.dumps(usage)}))
    assert err.retry_after == 7 * 60


LINKEDIN_CASES = [
    (
        resp(
            401,
            {
                "status": 401,
                "serviceErrorCode": 65601,
                "code": "REVOKED_ACCESS_TOKEN",
                "message": "The token used in the request has been revoked by the user",
            },
        ),
        AuthFailed,
    ),
    (
        resp(
            422,
            {
                "errorDetailType": "com.linkedin.common.error.BadRequest",
                "message": "Content is a duplicate of urn:li:share:7141138937766391808",
                "errorDetails": {
                    "inputErrors": [
                        {
                            "description": "Duplicate post is detected",
                            "input": {},
                            "code": "DUPLICATE_POST",
                        }
                    ]
                },
                "status": 422,
            },
        ),
        Duplicate,
    ),
    (
        resp(
            426,
            {
                "status": 426,
                "code": "NONEXISTENT_VERSION",
                "message": "Requested version 20200101 is not active",
            },
        ),
        Rejected,
    ),
    (
        resp(
            400, {"status": 400, "code": "VERSION_MISSING", "message": "A version must be present."}
        ),
        Rejected,
    ),
    (resp(429, {"status": 429, "message": "Resource level throttle limit"}), RateLimited),
    (resp(504, {"status": 504, "message": "Gateway Timeout"}), Transient),
]


@pytest.mark.parametrize(("response", "kind"), LINKEDIN_CASES)
def test_linkedin(response, kind):
    assert type(linkedin(response)) is kind


def test_linkedin_daily_quota_waits_until_midnight_utc():
    err = linkedin(resp(429, {"status": 429}))
    assert 0 < err.retry_after <= 86400
    with_header = linkedin(resp(429, {"status": 429}, {"retry-after": "42"}))
    assert with_header.retry_after == 42
