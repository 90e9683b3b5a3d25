"""Meta's Graph API hosts (graph.facebook.com, graph.instagram.com): OAuth, /me, batch
requests, and every other path handed to the Facebook or Instagram module.

Paths may carry a version segment (v24.0, v25.0, ...) or not. Tokens carry the permissions
granted at authorize time: exchanging, refreshing or deriving a Page token keeps them.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald_platform_sim import facebook, faults, graph, instagram
from herald_platform_sim.common import approve, bearer, graph_error, json_response, params, state_of
from herald_platform_sim.state import SimState

LONG_LIVED = graph.LONG_LIVED


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
            "access_token": st.issue(a, "ig_short", 3600, info["scopes"]),
            "user_id": a.user_id,
            "permissions": sorted(info["scopes"]),
        }
    )


async def entry(request: Request) -> Response:
    """One entry for every Graph path on either host."""
    st = state_of(request)
    platform = _platform(request)
    parts = graph.strip_version([s for s in request.path_params.get("rest", "").split("/") if s])
    p = await params(request)
    if bearer(request) and "access_token" not in p:
        p["access_token"] = bearer(request)
    if not parts:
        if request.method == "POST" and "batch" in p:
            return await _batch(st, platform, p)
        return graph_error("Unsupported request", 100)
    head = parts[0]
    if platform == "FACEBOOK" and head == "oauth" and parts[1:] == ["access_token"]:
        return _fb_token(st, p)
    if platform == "INSTAGRAM" and head in ("access_token", "refresh_access_token"):
        plan = await faults.plan(st, platform, "oauth")
        early = await faults.before(plan, graph.answers(platform))
        if early is not None:
            return early
        return _ig_token(st, p, head)
    if head == "me":
        return _me(st, parts, p)
    if platform == "INSTAGRAM":
        return await instagram.dispatch(request, st, parts, p)
    return await facebook.dispatch(request, st, parts, p)


def _me(st: SimState, parts: list[str], p: dict[str, Any]) -> Response:
    if parts[1:] == ["accounts"]:
        tok = graph.token(st, p.get("access_token"), ("user_long", "user_short"))
        if tok is None:
            return graph.invalid_token()
        if not tok.has("pages_show_list"):
            return graph.missing_permission("FACEBOOK", "pages_show_list")
        a = tok.account
        page_token = st.issue(a, "page", None, tok.scopes)
        page = {"id": a.page_id, "name": f"{a.login} page", "access_token": page_token}
        return json_response({"data": [{**page, "category": "Brand"}]})
    if len(parts) == 1:
        kinds = ("ig_long", "ig_short", "user_long", "user_short", "page")
        tok = graph.token(st, p.get("access_token"), kinds)
        if tok is None:
            return graph.invalid_token()
        a = tok.account
        return json_response(
            {"id": a.user_id, "user_id": a.user_id, "username": a.login, "name": a.name}
        )
    return graph_error("(#100) Unsupported get request", 100)


def _fb_token(st: SimState, p: dict[str, Any]) -> Response:
    if p.get("grant_type") == "fb_exchange_token":
        tok = st.check(p.get("fb_exchange_token"), ("user_short", "user_long"))
        if tok is None:
            return graph.invalid_token()
        return json_response(
            {
                "access_token": st.issue(tok.account, "user_long", LONG_LIVED, tok.scopes),
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
            "access_token": st.issue(info["account"], "user_short", 7200, info["scopes"]),
            "token_type": "bearer",
            "expires_in": 7200,
        }
    )


def _ig_token(st: SimState, p: dict[str, Any], head: str) -> Response:
    kinds = ("ig_short",) if head == "access_token" else ("ig_long",)
    tok = st.check(p.get("access_token"), kinds)
    if tok is None:
        return graph.invalid_token()
    if head == "refresh_access_token":
        tok.revoked = True
    return json_response(
        {
            "access_token": st.issue(tok.account, "ig_long", LONG_LIVED, tok.scopes),
            "token_type": "bearer",
            "expires_in": int(LONG_LIVED),
        }
    )


async def _batch(st: SimState, platform: str, p: dict[str, Any]) -> Response:
    # One batch call, whatever it carries (each operation is also counted as its own read).
    st.requests[platform]["batch"] += 1
    try:
        ops = json.loads(p["batch"]) if isinstance(p["batch"], str) else p["batch"]
    except ValueError:
        return graph_error("Invalid batch parameter", 100)
    if not isinstance(ops, list) or len(ops) > 50:
        return graph_error(
            "Too many requests in batch message. Maximum batch size is 50", 1, status=400
        )
    read = instagram.read if platform == "INSTAGRAM" else facebook.read
    out = []
    for op in ops:
        rel = str(op.get("relative_url", "")).lstrip("/")
        path, _, query = rel.partition("?")
        parts = graph.strip_version([s for s in path.split("/") if s])
        sub: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
        sub.setdefault("access_token", p.get("access_token"))
        resp = await read(st, parts, sub)
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
    Route("/facebook/{rest:path}", entry, methods=["GET", "POST", "DELETE"]),
    Route("/instagram/{rest:path}", entry, methods=["GET", "POST", "DELETE"]),
]
