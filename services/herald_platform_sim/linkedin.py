"""LinkedIn: OAuth 2.0, /v2/userinfo, the Posts API, image upload, post statistics.

Every ``/rest`` call must name an active ``LinkedIn-Version`` (YYYYMM, released within the
last 12 months on the simulator's clock: missing -> 400 VERSION_MISSING, sunset or unknown
-> 426 NONEXISTENT_VERSION) and send ``X-Restli-Protocol-Version: 2.0.0``.

A post's ``commentary`` is little text (littletext.py): an unescaped reserved character
cuts the post there, and the answer is still 201. Reads answer the kept text re-written.

Permissions, as LinkedIn documents them: w_member_social to post and upload, r_member_social to read
an author's posts and their social actions, r_member_postAnalytics for member post
statistics, openid + profile for /v2/userinfo.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald_platform_sim import faults, littletext, metrics
from herald_platform_sim.common import approve, bearer, json_response, params, state_of
from herald_platform_sim.state import SimState, Token

P = "LINKEDIN"
ACCESS = 5184000.0  # 60 days
REFRESH = 31536000.0  # 365 days
SUPPORTED_MONTHS = 12  # each monthly version is served for a year, then sunset
VERSION = re.compile(r"^(\d{4})(\d{2})(?:\.\d{2})?$")
WRITE = "w_member_social"
READ = "r_member_social"
ANALYTICS = "r_member_postAnalytics"


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


def _denied(request: Request, resource: str) -> Response:
    return error(
        403,
        f"Not enough permissions to access: {resource}.{request.method}.20240101",
        "ACCESS_DENIED",
        100,
    )


def _caller(request: Request, scope: str, resource: str) -> Token | Response:
    tok = _auth(request)
    if tok is None:
        return _unauthorized()
    if not tok.has(scope):
        return _denied(request, resource)
    return tok


def active(version: str, now: float) -> bool:
    m = VERSION.match(version)
    if m is None:
        return False
    today = datetime.fromtimestamp(now, UTC)
    age = (today.year * 12 + today.month) - (int(m.group(1)) * 12 + int(m.group(2)))
    return 1 <= int(m.group(2)) <= 12 and 0 <= age < SUPPORTED_MONTHS


def _headers(request: Request) -> Response | None:
    """The headers every versioned (/rest) call needs."""
    version = request.headers.get("linkedin-version")
    if not version:
        return error(
            400,
            "A version must be present. Please specify a version by adding the "
            "LinkedIn-Version header.",
            "VERSION_MISSING",
        )
    if not active(version.strip(), state_of(request).now()):
        return error(426, f"Requested version {version} is not active", "NONEXISTENT_VERSION")
    if request.headers.get("x-restli-protocol-version") != "2.0.0":
        return error(400, "X-Restli-Protocol-Version 2.0.0 is required for this resource")
    return None


def _fault_error(p: faults.Plan) -> Response:
    if p.status == 409:
        return error(409, "A write conflict occurred. Retry the request.")
    return error(p.status, "Internal Server Error")


ANSWERS = faults.Answers(
    error=_fault_error,
    rate_limit=lambda p: error(
        429,
        "Resource level throttle limit for calls to this resource is reached.",
        headers={"retry-after": str(int(p.retry_after))},
    ),
    unknown=lambda p: error(504, "Gateway Timeout"),
)


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
        account, scopes = info["account"], info["scopes"]
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
        account, scopes = old.account, old.scopes
    else:
        return json_response({"error": "unsupported_grant_type"}, 400)
    body: dict[str, Any] = {
        "access_token": st.issue(account, "access", ACCESS, scopes),
        "expires_in": int(ACCESS),
        "scope": ",".join(sorted(scopes)),
    }
    if with_refresh:
        # The refresh token keeps its own lifetime: refreshing does not extend it.
        body["refresh_token"] = p.get("refresh_token") or st.issue(
            account, "refresh", REFRESH, scopes
        )
        body["refresh_token_expires_in"] = int(REFRESH)
    return json_response(body)


async def userinfo(request: Request) -> Response:
    tok = _auth(request)
    if tok is None:
        return _unauthorized()
    if not tok.has("openid", "profile"):
        return _denied(request, "userinfo")
    a = tok.account
    return json_response(
        {"sub": a.user_id, "name": a.name, "given_name": a.login, "email_verified": True}
    )


def _post_json(pub: Any) -> dict[str, Any]:
    ms = int(pub.received_at * 1000)
    return {
        "id": pub.external_id,
        "author": f"urn:li:person:{pub.account}",
        "commentary": littletext.parse(str(pub.request.get("commentary", ""))).little,
        "visibility": pub.request.get("visibility", "PUBLIC"),
        "createdAt": ms,
        "publishedAt": ms,
        "lastModifiedAt": ms,
        "lifecycleState": "PUBLISHED",
    }


async def posts(request: Request) -> Response:
    bad = _headers(request)
    if bad is not None:
        return bad
    if request.method == "GET":
        return await _author_posts(request)
    return await _create(request)


async def _author_posts(request: Request) -> Response:
    """GET /rest/posts?q=author&author={urn}: newest first, paged by start and count."""
    st = state_of(request)
    plan = await faults.plan(st, P, "read")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    tok = _caller(request, READ, "partnerApiPostsExternal.FINDER-author")
    if isinstance(tok, Response):
        return tok
    q = request.query_params
    if q.get("q") != "author" or not q.get("author"):
        return error(400, "Query parameters q=author and author are required", "INVALID_PARAMS")
    try:
        start = int(q.get("start", "0"))
        count = int(q.get("count", "10"))
    except ValueError:
        return error(400, "start and count must be integers", "INVALID_PARAMS")
    if start < 0 or not 1 <= count <= 100:
        return error(400, "count must be between 1 and 100", "INVALID_PARAMS")
    author = unquote(q["author"])
    everything = st.newest_first(P, author.rsplit(":", 1)[-1])
    page = everything[start : start + count]
    paging: dict[str, Any] = {"start": start, "count": count, "total": len(everything)}
    if start + count < len(everything):
        paging["links"] = [
            {
                "type": "application/json",
                "rel": "next",
                "href": f"/rest/posts?q=author&author={q['author']}"
                f"&start={start + count}&count={count}",
            }
        ]
    return json_response({"elements": [_post_json(x) for x in page], "paging": paging})


async def _create(request: Request) -> Response:
    st = state_of(request)
    plan = await faults.plan(st, P, "publish")
    tok = faults.survives(st, plan, P, _auth(request))
    if tok is None:
        return _unauthorized()
    if not tok.has(WRITE):
        return _denied(request, "partnerApiPostsExternal.CREATE")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    try:
        body = json.loads(await request.body())
    except ValueError:
        return error(400, "Invalid JSON")
    author = str(body.get("author", ""))
    if author != f"urn:li:person:{tok.account.user_id}":
        return error(403, f"Not enough permissions to post as {author}", "ACCESS_DENIED", 100)
    commentary = str(body.get("commentary", ""))
    if len(commentary) > 3000:
        return error(422, "commentary is too long", "UNPROCESSABLE_ENTITY")
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
    window = request.app.state.settings.duplicate_window_seconds
    member = tok.account.user_id
    text = littletext.parse(commentary).shown  # what readers see, cut where LinkedIn cuts
    return await faults.create(
        st, plan, ANSWERS, lambda: _commit(st, member, text, media, body, window)
    )


def _commit(
    st: SimState, member: str, text: str, media: list[str], body: dict[str, Any], window: float
) -> Response:
    dup = st.duplicate_of(P, member, text, window)
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
    # Text posts come back as shares, posts with media as ugcPosts: LinkedIn answers both.
    kind = "ugcPost" if media else "share"
    pub = st.record(P, member, text, media, body, external_id=f"urn:li:{kind}:{st.new_id(19)}")
    return Response(status_code=201, headers={"x-restli-id": pub.external_id})


async def images(request: Request) -> Response:
    st = state_of(request)
    bad = _headers(request)
    if bad is not None:
        return bad
    if request.query_params.get("action") != "initializeUpload":
        return error(400, "Unsupported action")
    plan = await faults.plan(st, P, "media")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    tok = _caller(request, WRITE, "images.ACTION-initializeUpload")
    if isinstance(tok, Response):
        return tok
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
    tok = _caller(request, WRITE, "images.UPLOAD")
    if isinstance(tok, Response):
        return tok
    body = await request.body()
    st.media[request.path_params["urn"]] = {"size": len(body), "ready": True}
    return Response(status_code=201)


async def social_actions(request: Request) -> Response:
    st = state_of(request)
    bad = _headers(request)
    if bad is not None:
        return bad
    plan = await faults.plan(st, P, "metrics")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    tok = _caller(request, READ, "socialActions.GET")
    if isinstance(tok, Response):
        return tok
    urn = unquote(request.path_params["urn"])
    if urn not in st.by_external:
        return error(404, f"Not found: {urn}")
    m = metrics.counts(st, urn)
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


# Rest.li 2.0 query values: the union in parentheses as it is, the URN inside percent-encoded
# (``entity=(share:urn%3Ali%3Ashare%3A123)``), its member named after the URN's type.
ENTITY = re.compile(r"\((share|ugc):(urn%3Ali%3A(share|ugcPost)%3A\d+)\)")
ENTITY_KEY = {"share": "share", "ugcPost": "ugc"}


def _entity(query: str) -> str | None:
    """The post URN of a raw ``entity=`` query value written as LinkedIn reads it, else None."""
    raw = next((v for k, _, v in (p.partition("=") for p in query.split("&")) if k == "entity"), "")
    m = ENTITY.fullmatch(raw)
    if m is None or ENTITY_KEY[m.group(3)] != m.group(1):
        return None
    return unquote(m.group(2))


async def member_analytics(request: Request) -> Response:
    st = state_of(request)
    bad = _headers(request)
    if bad is not None:
        return bad
    plan = await faults.plan(st, P, "metrics")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    tok = _caller(request, ANALYTICS, "memberCreatorPostAnalytics.FINDER-entity")
    if isinstance(tok, Response):
        return tok
    urn = _entity(request.scope.get("query_string", b"").decode("latin-1"))
    if urn is None:
        return error(
            400,
            "Invalid query parameters passed to request: entity must be (share:<encoded share "
            "URN>) or (ugc:<encoded ugcPost URN>)",
            "ILLEGAL_ARGUMENT",
        )
    if urn not in st.by_external:  # no such post, or its author deleted it
        return error(404, f"Not found: {urn}")
    m = metrics.counts(st, urn)
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
