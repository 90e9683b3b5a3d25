"""X (Twitter) API v2: OAuth 2.0 with PKCE, posts, media upload, timelines, metrics.

Request bodies of POST /2/tweets are validated against X's own OpenAPI description; unknown
fields are refused with 400, as X does.
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald_platform_sim import faults
from herald_platform_sim.common import approve, bearer, json_response, params, state_of
from herald_platform_sim.state import SimState, Token
from herald_platforms.rules import x_weighted_length
from herald_platforms.x.openapi import validator

P = "TWITTER"
ACCESS_LIFETIME = 7200.0


def problem(
    status: int,
    title: str,
    detail: str,
    kind: str = "about:blank",
    headers: dict[str, str] | None = None,
) -> Response:
    return json_response(
        {"title": title, "detail": detail, "type": kind, "status": status}, status, headers
    )


def usage_capped() -> Response:
    """X's monthly product cap (a 429 typed ``usage-capped``): no retry helps before the
    period ends."""
    return json_response(
        {
            "title": "UsageCapExceeded",
            "detail": "Usage cap exceeded: Monthly product cap",
            "type": "https://api.x.com/2/problems/usage-capped",
            "period": "Monthly",
            "scope": "Product",
        },
        429,
    )


def unauthorized() -> Response:
    return problem(401, "Unauthorized", "Unauthorized")


def _auth(request: Request) -> Token | None:
    return state_of(request).check(bearer(request), ("access",))


def _limit_headers(limit: int, remaining: int, reset: float) -> dict[str, str]:
    return {
        "x-rate-limit-limit": str(limit),
        "x-rate-limit-remaining": str(remaining),
        "x-rate-limit-reset": str(int(reset)),
    }


# -- OAuth -------------------------------------------------------------------------------


async def authorize(request: Request) -> Response:
    return approve(request, P)


def _pkce_ok(verifier: str | None, challenge: str | None, method: str) -> bool:
    if challenge is None:
        return True
    if verifier is None:
        return False
    if method == "S256":
        digest = hashlib.sha256(verifier.encode()).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=") == challenge
    return verifier == challenge


def _token_body(st: SimState, account: Any) -> dict[str, Any]:
    return {
        "token_type": "bearer",
        "expires_in": int(ACCESS_LIFETIME),
        "access_token": st.issue(account, "access", ACCESS_LIFETIME),
        "scope": "tweet.read tweet.write users.read offline.access media.write",
        "refresh_token": st.issue(account, "refresh", None),
    }


async def token(request: Request) -> Response:
    st = state_of(request)
    await faults.plan(st, P, "oauth")
    p = await params(request)
    grant = p.get("grant_type")
    if grant == "authorization_code":
        info = st.codes.pop(str(p.get("code")), None)
        if (
            info is None
            or info["platform"] != P
            or st.now() - info["issued_at"] > 30
            or info["redirect_uri"] != p.get("redirect_uri")
            or not _pkce_ok(p.get("code_verifier"), info["challenge"], info["method"])
        ):
            return json_response(
                {
                    "error": "invalid_request",
                    "error_description": "Value passed for the authorization code was invalid.",
                },
                400,
            )
        return json_response(_token_body(st, info["account"]))
    if grant == "refresh_token":
        old = st.check(p.get("refresh_token"), ("refresh",))
        if old is None:
            return json_response(
                {
                    "error": "invalid_request",
                    "error_description": "Value passed for the token was invalid.",
                },
                400,
            )
        old.revoked = True  # single use: the old refresh token stops working
        return json_response(_token_body(st, old.account))
    return json_response({"error": "unsupported_grant_type"}, 400)


async def revoke(request: Request) -> Response:
    st = state_of(request)
    p = await params(request)
    tok = st.tokens.get(str(p.get("token")))
    if tok is not None:
        tok.revoked = True
    return json_response({"revoked": True})


async def me(request: Request) -> Response:
    tok = _auth(request)
    if tok is None:
        return unauthorized()
    a = tok.account
    return json_response({"data": {"id": a.user_id, "name": a.name, "username": a.login}})


# -- posts -------------------------------------------------------------------------------


async def create_post(request: Request) -> Response:
    st = state_of(request)
    settings = request.app.state.settings
    plan = await faults.plan(st, P, "publish")
    tok = _auth(request)
    tok = faults.survives(st, plan, P, tok)
    if tok is None:
        return unauthorized()
    if plan.kind == "timeout":
        await faults.hold(plan)
    if plan.kind == "error":
        return problem(plan.status, "Service Unavailable", "Service Unavailable")
    if plan.kind == "rate_limit":
        return problem(
            429,
            "Too Many Requests",
            "Too Many Requests",
            headers={"retry-after": str(int(plan.retry_after))},
        )
    if plan.kind == "usage_cap":
        return usage_capped()
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return problem(
            400,
            "Invalid Request",
            "Request body is not valid JSON",
            "https://api.x.com/2/problems/invalid-request",
        )
    errors = sorted(validator("CreatePostsRequest").iter_errors(body), key=str)
    if errors:
        return json_response(
            {
                "errors": [{"message": e.message, "parameters": {}} for e in errors[:5]],
                "title": "Invalid Request",
                "detail": "One or more parameters to your request was invalid.",
                "type": "https://api.x.com/2/problems/invalid-request",
            },
            400,
        )
    text = body.get("text", "")
    media_ids = (body.get("media") or {}).get("media_ids") or []
    if not text and not media_ids:
        return problem(
            400,
            "Invalid Request",
            "text is required unless media is provided",
            "https://api.x.com/2/problems/invalid-request",
        )
    if text and x_weighted_length(text) > 280:
        return problem(403, "Forbidden", "You are not permitted to perform this action.")
    for mid in media_ids:
        m = st.media.get(mid)
        if m is None or not m.get("ready"):
            return problem(
                400,
                "Invalid Request",
                f"Invalid media id {mid}",
                "https://api.x.com/2/problems/invalid-request",
            )
    account = tok.account.user_id
    ok, limit, remaining, reset = st.take_slot(P, account)
    headers = _limit_headers(limit, remaining, reset)
    if not ok:
        return problem(429, "Too Many Requests", "Too Many Requests", headers=headers)
    if st.duplicate_of(P, account, text, settings.duplicate_window_seconds):
        return problem(
            403,
            "Forbidden",
            "You are not allowed to create a Tweet with duplicate content.",
            headers=headers,
        )
    pub = st.record(P, account, text, list(media_ids), body)
    if plan.kind == "drop_after_create":
        return problem(503, "Service Unavailable", "Service Unavailable")
    data = {"id": pub.external_id, "text": text, "edit_history_tweet_ids": [pub.external_id]}
    return json_response({"data": data}, 201, headers)


async def user_posts(request: Request) -> Response:
    st = state_of(request)
    await faults.plan(st, P, "read")
    tok = _auth(request)
    if tok is None:
        return unauthorized()
    uid = request.path_params["id"]
    limit = min(int(request.query_params.get("max_results", "10")), 100)
    items = [
        {"id": p.external_id, "text": p.text, "edit_history_tweet_ids": [p.external_id]}
        for p in st.recent(P, uid, limit)
    ]
    return json_response({"data": items, "meta": {"result_count": len(items)}})


async def lookup(request: Request) -> Response:
    st = state_of(request)
    plan = await faults.plan(st, P, "metrics")
    if plan.kind == "error":
        return problem(plan.status, "Service Unavailable", "Service Unavailable")
    if plan.kind == "rate_limit":
        return problem(
            429,
            "Too Many Requests",
            "Too Many Requests",
            headers={"retry-after": str(int(plan.retry_after))},
        )
    if _auth(request) is None:
        return unauthorized()
    ids = [i for i in request.query_params.get("ids", "").split(",") if i]
    if not 1 <= len(ids) <= 100:
        return problem(
            400,
            "Invalid Request",
            f"The `ids` query parameter value [{len(ids)} ids] is not between 1 and 100",
            "https://api.x.com/2/problems/invalid-request",
        )
    data, errs = [], []
    for i in ids:
        pub = st.by_external.get(i)
        if pub is None or pub.platform != P:
            errs.append(
                {
                    "value": i,
                    "detail": f"Could not find tweet with ids: [{i}].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": "ids",
                    "resource_id": i,
                    "type": "https://api.x.com/2/problems/resource-not-found",
                }
            )
            continue
        m = st.metrics(i)
        data.append(
            {
                "id": i,
                "text": pub.text,
                "public_metrics": {
                    # v2.167 of X's OpenAPI names it repost_count; older answers say retweet_count.
                    "repost_count": m["shares"],
                    "retweet_count": m["shares"],
                    "reply_count": m["comments"],
                    "like_count": m["likes"],
                    "quote_count": 0,
                    "bookmark_count": 0,
                    "impression_count": m["impressions"],
                },
            }
        )
    out: dict[str, Any] = {"data": data}
    if errs:
        out["errors"] = errs
    return json_response(out)


# -- media -------------------------------------------------------------------------------


def _media_data(mid: str, size: int, processing: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": mid,
        "media_key": f"3_{mid}",
        "size": size,
        "expires_after_secs": 86400,
    }
    if processing:
        data["processing_info"] = {"state": "pending", "check_after_secs": 1}
    return data


async def media_upload(request: Request) -> Response:
    st = state_of(request)
    if request.method == "GET":
        mid = request.query_params.get("media_id", "")
        m = st.media.get(mid)
        if m is None:
            return problem(404, "Not Found Error", "media not found")
        m["ready"] = True
        data = _media_data(mid, m["size"])
        data["processing_info"] = {"state": "succeeded", "progress_percent": 100}
        return json_response({"data": data})
    await faults.plan(st, P, "media")
    if _auth(request) is None:
        return unauthorized()
    p = await params(request)
    media = p.get("media")
    if isinstance(media, str):
        media = base64.b64decode(media)
    if not media or not p.get("media_category"):
        return problem(
            400,
            "Invalid Request",
            "media and media_category are required",
            "https://api.x.com/2/problems/invalid-request",
        )
    mid = st.new_id()
    st.media[mid] = {"size": len(media), "ready": True, "chunks": {}}
    return json_response({"data": _media_data(mid, len(media))})


async def media_initialize(request: Request) -> Response:
    st = state_of(request)
    await faults.plan(st, P, "media")
    if _auth(request) is None:
        return unauthorized()
    p = await params(request)
    errors = list(validator("InitializeMediaUploadRequest").iter_errors(p))
    if errors:
        return problem(
            400,
            "Invalid Request",
            errors[0].message,
            "https://api.x.com/2/problems/invalid-request",
        )
    if not p.get("media_type") or not p.get("total_bytes"):
        return problem(
            400,
            "Invalid Request",
            "media_type and total_bytes are required",
            "https://api.x.com/2/problems/invalid-request",
        )
    mid = st.new_id()
    st.media[mid] = {
        "size": int(p["total_bytes"]),
        "ready": False,
        "chunks": {},
        "type": p["media_type"],
    }
    return json_response(
        {"data": {"id": mid, "media_key": f"3_{mid}", "expires_after_secs": 86400}}
    )


async def media_append(request: Request) -> Response:
    st = state_of(request)
    if _auth(request) is None:
        return unauthorized()
    m = st.media.get(request.path_params["id"])
    if m is None:
        return problem(404, "Not Found Error", "media not found")
    p = await params(request)
    chunk = p.get("media") or b""
    m["chunks"][int(p.get("segment_index", 0))] = len(chunk)
    return json_response({"data": {"expires_at": int(st.now() + 86400)}})


async def media_finalize(request: Request) -> Response:
    st = state_of(request)
    if _auth(request) is None:
        return unauthorized()
    mid = request.path_params["id"]
    m = st.media.get(mid)
    if m is None:
        return problem(404, "Not Found Error", "media not found")
    got = sum(m["chunks"].values())
    if got != m["size"]:
        return problem(
            400,
            "Invalid Request",
            f"expected {m['size']} bytes, got {got}",
            "https://api.x.com/2/problems/invalid-request",
        )
    video = str(m.get("type", "")).startswith("video/")
    m["ready"] = not video
    return json_response({"data": _media_data(mid, got, processing=video)})


routes = [
    Route("/x-web/i/oauth2/authorize", authorize),
    Route("/x/2/oauth2/token", token, methods=["POST"]),
    Route("/x/2/oauth2/revoke", revoke, methods=["POST"]),
    Route("/x/2/users/me", me),
    Route("/x/2/users/{id}/tweets", user_posts),
    Route("/x/2/tweets", create_post, methods=["POST"]),
    Route("/x/2/tweets", lookup, methods=["GET"]),
    Route("/x/2/media/upload", media_upload, methods=["GET", "POST"]),
    Route("/x/2/media/upload/initialize", media_initialize, methods=["POST"]),
    Route("/x/2/media/upload/{id}/append", media_append, methods=["POST"]),
    Route("/x/2/media/upload/{id}/finalize", media_finalize, methods=["POST"]),
]
