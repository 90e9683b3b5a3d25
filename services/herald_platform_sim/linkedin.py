"""LinkedIn: OAuth 2.0, /v2/userinfo, the Posts API, image upload, post statistics."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald_platform_sim import faults
from herald_platform_sim.common import approve, bearer, json_response, params, state_of
from herald_platform_sim.state import Token

P = "LINKEDIN"
ACCESS = 5184000.0  # 60 days
REFRESH = 31536000.0  # 365 days


def error(
    status: int,
    message: str,
    code: str | None = None,
    service_code: int | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    body: dict[str, Any] = {"status": status, "message": message}
    if code:
        body["code"] = code
    if service_code:
        body["serviceErrorCode"] = service_code
    return json_response(body, status, headers)


def _auth(request: Request) -> Token | None:
    return state_of(request).check(bearer(request), ("access",))


def _unauthorized() -> Response:
    return error(
        401,
        "The token used in the request has been revoked by the user",
        "REVOKED_ACCESS_TOKEN",
        65601,
    )


def _version(request: Request) -> Response | None:
    if not request.headers.get("linkedin-version"):
        return error(
            400,
            "A version must be present. Please specify a version by adding the "
            "LinkedIn-Version header.",
            "VERSION_MISSING",
        )
    return None


async def authorize(request: Request) -> Response:
    return approve(request, P)


async def access_token(request: Request) -> Response:
    st = state_of(request)
    await faults.plan(st, P, "oauth")
    p = await params(request)
    with_refresh = request.app.state.settings.linkedin_refresh_tokens
    if p.get("grant_type") == "authorization_code":
        info = st.codes.pop(str(p.get("code")), None)
        if info is None or info["platform"] != P or info["redirect_uri"] != p.get("redirect_uri"):
            return json_response(
                {
                    "error": "invalid_request",
                    "error_description": "Unable to retrieve access token: "
                    "authorization code not found",
                },
                400,
            )
        account = info["account"]
    elif p.get("grant_type") == "refresh_token":
        old = st.check(p.get("refresh_token"), ("refresh",))
        if old is None:
            return json_response(
                {
                    "error": "invalid_request",
                    "error_description": "The provided refresh token is invalid",
                },
                400,
            )
        account = old.account
    else:
        return json_response({"error": "unsupported_grant_type"}, 400)
    body: dict[str, Any] = {
        "access_token": st.issue(account, "access", ACCESS),
        "expires_in": int(ACCESS),
        "scope": "openid,profile,w_member_social",
    }
    if with_refresh:
        body["refresh_token"] = p.get("refresh_token") or st.issue(account, "refresh", REFRESH)
        body["refresh_token_expires_in"] = int(REFRESH)
    return json_response(body)


async def userinfo(request: Request) -> Response:
    tok = _auth(request)
    if tok is None:
        return _unauthorized()
    a = tok.account
    return json_response(
        {"sub": a.user_id, "name": a.name, "given_name": a.login, "email_verified": True}
    )


async def posts(request: Request) -> Response:
    st = state_of(request)
    bad = _version(request)
    if bad is not None:
        return bad
    if request.method == "GET":
        await faults.plan(st, P, "read")
        tok = _auth(request)
        if tok is None:
            return _unauthorized()
        author = unquote(request.query_params.get("author", ""))
        sub = author.rsplit(":", 1)[-1]
        items = st.recent(P, sub, int(request.query_params.get("count", "10")))
        return json_response(
            {
                "elements": [
                    {
                        "id": x.external_id,
                        "author": author,
                        "commentary": x.text,
                        "createdAt": int(x.received_at * 1000),
                        "lifecycleState": "PUBLISHED",
                    }
                    for x in items
                ],
                "paging": {"count": len(items), "start": 0},
            }
        )
    plan = await faults.plan(st, P, "publish")
    tok = _auth(request)
    tok = faults.survives(st, plan, P, tok)
    if tok is None:
        return _unauthorized()
    if plan.kind == "timeout":
        await faults.hold(plan)
    if plan.kind == "error":
        if plan.status == 409:
            return error(409, "A write conflict occurred. Retry the request.")
        return error(plan.status, "Internal Server Error")
    if plan.kind == "rate_limit":
        return error(
            429,
            "Resource level throttle limit for calls to this resource is reached.",
            headers={"retry-after": str(int(plan.retry_after))},
        )
    try:
        body = json.loads(await request.body())
    except ValueError:
        return error(400, "Invalid JSON")
    author = str(body.get("author", ""))
    if author != f"urn:li:person:{tok.account.user_id}":
        return error(403, f"Not enough permissions to post as {author}", "ACCESS_DENIED", 100)
    text = str(body.get("commentary", ""))
    if len(text) > 3000:
        return error(422, "commentary is too long", "UNPROCESSABLE_ENTITY")
    dup = st.duplicate_of(
        P, tok.account.user_id, text, request.app.state.settings.duplicate_window_seconds
    )
    if dup is not None:
        return json_response(
            {
                "errorDetailType": "com.linkedin.common.error.BadRequest",
                "message": "com.linkedin.content.common.exception.BadRequestResponseException: "
                f"Content is a duplicate of {dup.external_id}",
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
            422,
        )
    media = []
    content = body.get("content") or {}
    if "media" in content:
        media = [content["media"].get("id")]
    if "multiImage" in content:
        media = [i.get("id") for i in content["multiImage"].get("images", [])]
    for m in media:
        if m not in st.media:
            return error(
                400, f"Media asset {m} is not found or not uploaded", "MEDIA_ASSET_WAITING_UPLOAD"
            )
    pub = st.record(
        P, tok.account.user_id, text, media, body, external_id=f"urn:li:share:{st.new_id(19)}"
    )
    if plan.kind == "drop_after_create":
        return error(504, "Gateway Timeout")
    return Response(status_code=201, headers={"x-restli-id": pub.external_id})


async def images(request: Request) -> Response:
    st = state_of(request)
    if request.query_params.get("action") != "initializeUpload":
        return error(400, "Unsupported action")
    await faults.plan(st, P, "media")
    if _auth(request) is None:
        return _unauthorized()
    urn = f"urn:li:image:{st.new_id(16)}"
    base = str(request.base_url).rstrip("/")
    return json_response(
        {
            "value": {
                "uploadUrlExpiresAt": int(st.now() * 1000) + 3600_000,
                "uploadUrl": f"{base}/linkedin/_upload/{urn}",
                "image": urn,
            }
        }
    )


async def upload(request: Request) -> Response:
    st = state_of(request)
    if _auth(request) is None:
        return _unauthorized()
    body = await request.body()
    st.media[request.path_params["urn"]] = {"size": len(body), "ready": True}
    return Response(status_code=201)


async def social_actions(request: Request) -> Response:
    st = state_of(request)
    plan = await faults.plan(st, P, "metrics")
    if plan.kind == "error":
        return error(plan.status, "Internal Server Error")
    if _auth(request) is None:
        return _unauthorized()
    urn = unquote(request.path_params["urn"])
    if urn not in st.by_external:
        return error(404, f"Not found: {urn}")
    m = st.metrics(urn)
    return json_response(
        {
            "likesSummary": {"totalLikes": m["likes"]},
            "commentsSummary": {
                "totalFirstLevelComments": m["comments"],
                "aggregatedTotalComments": m["comments"],
            },
            "target": urn,
        }
    )


async def member_analytics(request: Request) -> Response:
    st = state_of(request)
    plan = await faults.plan(st, P, "metrics")
    if plan.kind == "error":
        return error(plan.status, "Internal Server Error")
    if _auth(request) is None:
        return _unauthorized()
    entity = unquote(request.query_params.get("entity", ""))
    urn = entity[entity.find("urn:") :].rstrip(")") if "urn:" in entity else ""
    if urn not in st.by_external:
        return json_response({"elements": []})
    m = st.metrics(urn)
    kind = request.query_params.get("queryType", "IMPRESSION")
    count = {
        "IMPRESSION": m["impressions"],
        "REACTION": m["likes"],
        "COMMENT": m["comments"],
        "RESHARE": m["shares"],
        "MEMBERS_REACHED": int(m["impressions"] * 0.7),
    }.get(kind, 0)
    return json_response({"elements": [{"count": count, "metricType": {"$": kind}}]})


routes = [
    Route("/linkedin-web/oauth/v2/authorization", authorize),
    Route("/linkedin-web/oauth/v2/accessToken", access_token, methods=["POST"]),
    Route("/linkedin/v2/userinfo", userinfo),
    Route("/linkedin/rest/posts", posts, methods=["GET", "POST"]),
    Route("/linkedin/rest/images", images, methods=["POST"]),
    Route("/linkedin/_upload/{urn}", upload, methods=["PUT", "POST"]),
    Route("/linkedin/rest/socialActions/{urn}", social_actions),
    Route("/linkedin/rest/memberCreatorPostAnalytics", member_analytics),
]
