"""Helpers for the simulator's own tests: the platforms' OAuth flows, straight against it."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

X_SCOPES = "tweet.read tweet.write users.read offline.access media.write"
IG_SCOPES = (
    "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_insights"
)
FB_SCOPES = "pages_show_list,pages_manage_posts,pages_read_engagement,read_insights"
LI_SCOPES = "openid profile w_member_social r_member_social r_member_postAnalytics"
LI_HEADERS = {"linkedin-version": "202610", "x-restli-protocol-version": "2.0.0"}


@pytest.fixture
async def http(sim_clean):
    async with httpx.AsyncClient(base_url=sim_clean.base_url) as client:
        yield client


async def until(condition: Callable[[], Awaitable[Any]], seconds: float = 15.0) -> Any:
    """The first truthy value of ``condition``, polled until a deadline."""
    deadline = time.monotonic() + seconds
    while True:
        value = await condition()
        if value:
            return value
        assert time.monotonic() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.05)


def login() -> str:
    return uuid.uuid4().hex[:8]


async def _code(http: httpx.AsyncClient, path: str, scope: str, who: str) -> str:
    r = await http.get(
        path,
        params={"redirect_uri": "http://cb", "state": "s", "scope": scope, "login_hint": who},
    )
    assert r.status_code == 302
    return httpx.URL(r.headers["location"]).params["code"]


async def x_token(http: httpx.AsyncClient, who: str = "u", scope: str = X_SCOPES) -> dict[str, str]:
    verifier = "v" * 50
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    r = await http.get(
        "/x-web/i/oauth2/authorize",
        params={
            "redirect_uri": "http://cb",
            "state": "s",
            "scope": scope,
            "code_challenge": challenge.decode().rstrip("="),
            "code_challenge_method": "S256",
            "login_hint": who,
        },
    )
    code = httpx.URL(r.headers["location"]).params["code"]
    t = await http.post(
        "/x/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://cb",
            "code_verifier": verifier,
        },
    )
    assert t.status_code == 200
    data: dict[str, str] = t.json()
    return data


async def x_auth(http: httpx.AsyncClient, who: str = "u", scope: str = X_SCOPES) -> dict[str, str]:
    return {"authorization": f"Bearer {(await x_token(http, who, scope))['access_token']}"}


async def ig_token(
    http: httpx.AsyncClient, who: str = "u", scope: str = IG_SCOPES
) -> tuple[str, str]:
    """(long-lived token, IG user id)."""
    code = await _code(http, "/instagram-web/oauth/authorize", scope, who)
    short = (
        await http.post(
            "/instagram-api/oauth/access_token", data={"code": code, "redirect_uri": "http://cb"}
        )
    ).json()
    long = (
        await http.get(
            "/instagram/access_token",
            params={"grant_type": "ig_exchange_token", "access_token": short["access_token"]},
        )
    ).json()
    return long["access_token"], str(short["user_id"])


async def fb_page(
    http: httpx.AsyncClient, who: str = "u", scope: str = FB_SCOPES
) -> tuple[str, str]:
    """(Page token, Page id)."""
    code = await _code(http, "/facebook-web/v25.0/dialog/oauth", scope, who)
    short = (
        await http.get(
            "/facebook/v25.0/oauth/access_token", params={"code": code, "redirect_uri": "http://cb"}
        )
    ).json()
    pages = (
        await http.get(
            "/facebook/v25.0/me/accounts", params={"access_token": short["access_token"]}
        )
    ).json()
    page = pages["data"][0]
    return page["access_token"], page["id"]


async def li_token(
    http: httpx.AsyncClient, who: str = "u", scope: str = LI_SCOPES
) -> tuple[str, str]:
    """(access token, person URN)."""
    code = await _code(http, "/linkedin-web/oauth/v2/authorization", scope, who)
    tok = (
        await http.post(
            "/linkedin-web/oauth/v2/accessToken",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://cb"},
        )
    ).json()["access_token"]
    me = await http.get("/linkedin/v2/userinfo", headers={"authorization": f"Bearer {tok}"})
    sub = me.json()["sub"] if me.status_code == 200 else (await _sub(http, who))
    return tok, f"urn:li:person:{sub}"


async def _sub(http: httpx.AsyncClient, who: str) -> str:
    accounts = (await http.get("/_sim/accounts")).json()
    return next(a["user_id"] for a in accounts if a["platform"] == "LINKEDIN" and a["login"] == who)
