"""Small helpers shared by the platform handlers."""

from __future__ import annotations

import json
import re
import secrets
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from herald_platform_sim.state import SimState


def state_of(request: Request) -> SimState:
    st: SimState = request.app.state.sim
    return st


def bearer(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith(("bearer ", "oauth ")):
        return auth.split(" ", 1)[1].strip()
    return None


async def params(request: Request) -> dict[str, Any]:
    """Query parameters merged with a form or JSON body (Graph accepts all three)."""
    out: dict[str, Any] = dict(request.query_params)
    if request.method in ("POST", "PUT"):
        ctype = request.headers.get("content-type", "")
        body = await request.body()
        if not body:
            return out
        if "json" in ctype:
            try:
                data = json.loads(body)
            except ValueError:
                return out
            if isinstance(data, dict):
                out.update(data)
        elif "x-www-form-urlencoded" in ctype:
            out.update(dict(parse_qsl(body.decode(), keep_blank_values=True)))
        elif "multipart/form-data" in ctype:
            form = await request.form()
            for k, v in form.items():
                out[k] = v if isinstance(v, str) else await v.read()
    return out


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(data, status_code=status, headers=headers)


def graph_error(
    message: str,
    code: int,
    *,
    subcode: int | None = None,
    status: int = 400,
    headers: dict[str, str] | None = None,
) -> Response:
    err: dict[str, Any] = {
        "message": message,
        "type": "OAuthException",
        "code": code,
        "fbtrace_id": "SimTrace",
    }
    if subcode is not None:
        err["error_subcode"] = subcode
    return JSONResponse({"error": err}, status_code=status, headers=headers)


def scopes_of(value: str | None) -> frozenset[str]:
    """The scopes of an authorize request: space-delimited (X, LinkedIn) or comma-separated
    (Meta)."""
    return frozenset(s for s in re.split(r"[\s,]+", value or "") if s)


def approve(request: Request, platform: str) -> Response:
    """An authorize endpoint that approves at once: back to redirect_uri with a code.

    The approving account is chosen by the ``login_hint`` query parameter (default
    "default"), so tests can connect several distinct accounts. The user grants exactly
    the scopes asked for, and the tokens issued for the code carry them.
    """
    st = state_of(request)
    q = request.query_params
    code = secrets.token_urlsafe(16)
    st.codes[code] = {
        "platform": platform,
        "account": st.account(platform, q.get("login_hint", "default")),
        "redirect_uri": q.get("redirect_uri"),
        "challenge": q.get("code_challenge"),
        "method": q.get("code_challenge_method", "plain"),
        "scopes": scopes_of(q.get("scope")),
        "issued_at": st.now(),
    }
    redirect = q.get("redirect_uri") or ""
    sep = "&" if "?" in redirect else "?"
    query = urlencode({"code": code, "state": q.get("state", "")})
    return RedirectResponse(f"{redirect}{sep}{query}", status_code=302)
