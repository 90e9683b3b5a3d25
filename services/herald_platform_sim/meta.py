"""Meta's Graph API for Facebook Pages (graph.facebook.com) and Instagram (graph.instagram.com).

Paths may carry a version segment (v24.0, v25.0, ...) or not. Errors use the Graph
envelope; throttling answers HTTP 400 with codes 4/32/80001/80002, not 429.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald_platform_sim import faults
from herald_platform_sim.common import approve, bearer, graph_error, json_response, params, state_of
from herald_platform_sim.faults import Plan
from herald_platform_sim.state import SimState, Token

VERSION = re.compile(r"^v\d+\.\d+$")
LONG_LIVED = 5183944.0


def _platform(request: Request) -> str:
    return "INSTAGRAM" if request.url.path.startswith("/instagram") else "FACEBOOK"


async def authorize(request: Request) -> Response:
    return approve(request, _platform(request))


async def instagram_code(request: Request) -> Response:
    """api.instagram.com/oauth/access_token: code -> short-lived token (1 hour)."""
    st = state_of(request)
    p = await params(request)
    info = st.codes.pop(str(p.get("code")), None)
    if (
        info is None
        or info["platform"] != "INSTAGRAM"
        or info["redirect_uri"] != p.get("redirect_uri")
    ):
        return json_response(
            {
                "error_type": "OAuthException",
                "code": 400,
                "error_message": "Invalid authorization code",
            },
            400,
        )
    a = info["account"]
    return json_response(
        {
            "access_token": st.issue(a, "ig_short", 3600),
            "user_id": a.user_id,
            "permissions": ["instagram_business_basic", "instagram_business_content_publish"],
        }
    )


def _token(request: Request, p: dict[str, Any], kinds: tuple[str, ...]) -> Token | None:
    return state_of(request).check(bearer(request) or p.get("access_token"), kinds)


def _throttle(platform: str) -> Response:
    code = 80002 if platform == "INSTAGRAM" else 80001
    usage = json.dumps(
        {
            "sim": [
                {
                    "type": platform.lower(),
                    "call_count": 100,
                    "total_cputime": 30,
                    "total_time": 30,
                    "estimated_time_to_regain_access": 1,
                }
            ]
        }
    )
    return graph_error(
        f"(#{code}) There have been too many calls to this account. Wait a bit and try again.",
        code,
        headers={"X-Business-Use-Case-Usage": usage},
    )


def _fault_response(plan: Plan, platform: str) -> Response | None:
    if plan.kind == "error":
        return _scripted_error(plan)
    if plan.kind == "rate_limit":
        return _throttle(platform)
    return None


# Messages of the Graph errors a script may ask for by code/subcode, as Meta words them.
MESSAGES = {
    (4, 2207051): "We restrict certain activity to protect our community. Let us know if "
    "you think that we made a mistake.",
    (4, None): "(#4) Application request limit reached",
}


def _scripted_error(plan: Plan) -> Response:
    """A Graph error: the scripted code and subcode, or a generic "unexpected error" (2)."""
    if plan.code is None:
        return graph_error(
            "An unexpected error has occurred. Please retry your request later.",
            2,
            status=plan.status,
        )
    message = MESSAGES.get((plan.code, plan.subcode)) or MESSAGES.get(
        (plan.code, None), f"(#{plan.code}) Error"
    )
    return graph_error(message, plan.code, subcode=plan.subcode, status=plan.status)


def _invalid_token() -> Response:
    return graph_error(
        "Error validating access token: The session has been invalidated.",
        190,
        subcode=460,
        status=400,
    )


async def graph(request: Request) -> Response:
    """One entry for every Graph path on either host."""
    st = state_of(request)
    platform = _platform(request)
    parts = [s for s in request.path_params.get("rest", "").split("/") if s]
    if parts and VERSION.match(parts[0]):
        parts = parts[1:]
    p = await params(request)
    if not parts:
        if request.method == "POST" and "batch" in p:
            return await _batch(request, platform, p)
        return graph_error("Unsupported request", 100)
    head = parts[0]
    if platform == "FACEBOOK" and head == "oauth" and parts[1:] == ["access_token"]:
        return _fb_token(st, p)
    if platform == "INSTAGRAM" and head in ("access_token", "refresh_access_token"):
        plan = await faults.plan(st, platform, "oauth")
        early = _fault_response(plan, platform)
        if early is not None:
            return early
        return _ig_token(st, p, head)
    if head == "me" and len(parts) == 2 and parts[1] == "accounts":
        tok = _token(request, p, ("user_long", "user_short"))
        if tok is None:
            return _invalid_token()
        a = tok.account
        page_token = st.issue(a, "page", None)
        return json_response(
            {
                "data": [
                    {
                        "id": a.page_id,
                        "name": f"{a.login} page",
                        "access_token": page_token,
                        "category": "Brand",
                    }
                ]
            }
        )
    if head == "me" and len(parts) == 1:
        tok = _token(request, p, ("ig_long", "ig_short", "user_long", "user_short", "page"))
        if tok is None:
            return _invalid_token()
        a = tok.account
        return json_response(
            {"id": a.user_id, "user_id": a.user_id, "username": a.login, "name": a.name}
        )
    if platform == "INSTAGRAM":
        from herald_platform_sim import instagram

        return await instagram.dispatch(request, st, parts, p)
    from herald_platform_sim import facebook

    return await facebook.dispatch(request, st, parts, p)


def _fb_token(st: SimState, p: dict[str, Any]) -> Response:
    if p.get("grant_type") == "fb_exchange_token":
        tok = st.check(p.get("fb_exchange_token"), ("user_short", "user_long"))
        if tok is None:
            return _invalid_token()
        return json_response(
            {
                "access_token": st.issue(tok.account, "user_long", LONG_LIVED),
                "token_type": "bearer",
                "expires_in": int(LONG_LIVED),
            }
        )
    info = st.codes.pop(str(p.get("code")), None)
    if (
        info is None
        or info["platform"] != "FACEBOOK"
        or info["redirect_uri"] != p.get("redirect_uri")
    ):
        return graph_error("Invalid verification code format.", 100)
    return json_response(
        {
            "access_token": st.issue(info["account"], "user_short", 7200),
            "token_type": "bearer",
            "expires_in": 7200,
        }
    )


def _ig_token(st: SimState, p: dict[str, Any], head: str) -> Response:
    if head == "access_token":
        tok = st.check(p.get("access_token"), ("ig_short",))
    else:
        tok = st.check(p.get("access_token"), ("ig_long",))
    if tok is None:
        return _invalid_token()
    if head == "refresh_access_token":
        tok.revoked = True
    return json_response(
        {
            "access_token": st.issue(tok.account, "ig_long", LONG_LIVED),
            "token_type": "bearer",
            "expires_in": int(LONG_LIVED),
        }
    )


async def _batch(request: Request, platform: str, p: dict[str, Any]) -> Response:
    try:
        ops = json.loads(p["batch"]) if isinstance(p["batch"], str) else p["batch"]
    except ValueError:
        return graph_error("Invalid batch parameter", 100)
    if not isinstance(ops, list) or len(ops) > 50:
        return graph_error(
            "Too many requests in batch message. Maximum batch size is 50", 1, status=400
        )
    st = state_of(request)
    token = bearer(request) or p.get("access_token")
    out = []
    for op in ops:
        rel = str(op.get("relative_url", "")).lstrip("/")
        path, _, query = rel.partition("?")
        parts = [s for s in path.split("/") if s]
        if parts and VERSION.match(parts[0]):
            parts = parts[1:]
        sub: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        sub.setdefault("access_token", token)
        from herald_platform_sim import facebook, instagram

        module = instagram if platform == "INSTAGRAM" else facebook
        resp = await module.read(st, parts, sub)
        out.append(
            {
                "code": resp.status_code,
                "headers": [{"name": "Content-Type", "value": "application/json"}],
                "body": bytes(resp.body).decode(),
            }
        )
    return json_response(out)


routes = [
    Route("/facebook-web/{version}/dialog/oauth", authorize),
    Route("/instagram-web/oauth/authorize", authorize),
    Route("/instagram-api/oauth/access_token", instagram_code, methods=["POST"]),
    Route("/facebook/{rest:path}", graph, methods=["GET", "POST", "DELETE"]),
    Route("/instagram/{rest:path}", graph, methods=["GET", "POST", "DELETE"]),
]

__all__ = ["_fault_response", "_invalid_token", "_scripted_error", "_token", "faults", "routes"]
