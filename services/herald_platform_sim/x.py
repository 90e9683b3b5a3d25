"""X (Twitter) API v2: OAuth 2.0 with PKCE and single-use refresh tokens, the user, and the
routes of posts (x_posts) and media (x_media).

Every endpoint checks the OAuth 2.0 scopes X's OpenAPI names for it; a token lacking one
gets 403, as X answers.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald_platform_sim import faults, x_media, x_posts
from herald_platform_sim.common import approve, json_response, params, state_of
from herald_platform_sim.state import Account, SimState
from herald_platform_sim.x_common import P, caller

ACCESS_LIFETIME = 7200.0
CODE_LIFETIME = 30.0


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


def _token_body(st: SimState, account: Account, scopes: frozenset[str]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "token_type": "bearer",
        "expires_in": int(ACCESS_LIFETIME),
        "access_token": st.issue(account, "access", ACCESS_LIFETIME, scopes),
        "scope": " ".join(sorted(scopes)),
    }
    if "offline.access" in scopes:  # a refresh token only when offline.access was granted
        body["refresh_token"] = st.issue(account, "refresh", None, scopes)
    return body


def _refused(description: str) -> Response:
    return json_response({"error": "invalid_request", "error_description": description}, 400)


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
            or st.now() - info["issued_at"] > CODE_LIFETIME
            or info["redirect_uri"] != p.get("redirect_uri")
            or not _pkce_ok(p.get("code_verifier"), info["challenge"], info["method"])
        ):
            return _refused("Value passed for the authorization code was invalid.")
        return json_response(_token_body(st, info["account"], info["scopes"]))
    if grant == "refresh_token":
        old = st.check(p.get("refresh_token"), ("refresh",))
        if old is None:
            return _refused("Value passed for the token was invalid.")
        old.revoked = True  # single use: the old refresh token stops working
        return json_response(_token_body(st, old.account, old.scopes))
    return json_response({"error": "unsupported_grant_type"}, 400)


async def revoke(request: Request) -> Response:
    st = state_of(request)
    p = await params(request)
    tok = st.tokens.get(str(p.get("token")))
    if tok is not None:
        tok.revoked = True
    return json_response({"revoked": True})


async def me(request: Request) -> Response:
    tok = caller(request, "/2/users/me")
    if isinstance(tok, Response):
        return tok
    a = tok.account
    return json_response({"data": {"id": a.user_id, "name": a.name, "username": a.login}})


routes = [
    Route("/x-web/i/oauth2/authorize", authorize),
    Route("/x/2/oauth2/token", token, methods=["POST"]),
    Route("/x/2/oauth2/revoke", revoke, methods=["POST"]),
    Route("/x/2/users/me", me),
    *x_posts.routes,
    *x_media.routes,
]
