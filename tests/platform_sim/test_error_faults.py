"""Scripted answers for the platforms' harder error classes: X's usage cap, LinkedIn's write
conflict, Instagram's restricted-activity block (which may come after the media went out) and
a throttled Instagram token refresh."""

from __future__ import annotations

import httpx
import pytest

from tests.platform_sim.test_simulator import _x_token


@pytest.fixture
async def http(sim_clean):
    async with httpx.AsyncClient(base_url=sim_clean.base_url) as client:
        yield client


async def test_x_usage_cap_answers_the_documented_problem(http, sim_clean):
    token = (await _x_token(http))["access_token"]
    await sim_clean.script("TWITTER", [{"fault": "usage_cap"}])
    headers = {"authorization": f"Bearer {token}"}
    capped = await http.post("/x/2/tweets", json={"text": "capped"}, headers=headers)
    assert capped.status_code == 429
    body = capped.json()
    assert body["type"] == "https://api.x.com/2/problems/usage-capped"
    assert body["period"] == "Monthly"
    assert await sim_clean.published("TWITTER") == []


async def test_linkedin_write_conflict(http, sim_clean):
    r = await http.get(
        "/linkedin-web/oauth/v2/authorization",
        params={"redirect_uri": "http://cb", "state": "s", "login_hint": "w"},
    )
    code = httpx.URL(r.headers["location"]).params["code"]
    token = (
        await http.post(
            "/linkedin-web/oauth/v2/accessToken",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://cb"},
        )
    ).json()["access_token"]
    await sim_clean.script("LINKEDIN", [{"fault": "error", "status": 409}])
    r = await http.post(
        "/linkedin/rest/posts",
        json={"author": "urn:li:person:x", "commentary": "hi"},
        headers={"authorization": f"Bearer {token}", "linkedin-version": "202601"},
    )
    assert r.status_code == 409
    assert r.json()["message"] == "A write conflict occurred. Retry the request."


async def _ig_token(http: httpx.AsyncClient, login: str) -> tuple[str, str]:
    r = await http.get(
        "/instagram-web/oauth/authorize",
        params={"redirect_uri": "http://cb", "state": "s", "login_hint": login},
    )
    code = httpx.URL(r.headers["location"]).params["code"]
    short = (
        await http.post(
            "/instagram-api/oauth/access_token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://cb"},
        )
    ).json()
    long = (
        await http.get(
            "/instagram/access_token",
            params={"grant_type": "ig_exchange_token", "access_token": short["access_token"]},
        )
    ).json()
    return long["access_token"], short["user_id"]


async def test_instagram_restricted_activity_may_come_after_publishing(http, sim_clean):
    token, uid = await _ig_token(http, "spam")
    blocked = {"status": 400, "code": 4, "subcode": 2207051}
    await sim_clean.script(
        "INSTAGRAM",
        [{"fault": "error", **blocked}, {"fault": "drop_after_create", **blocked}],
    )
    for attempt in range(2):
        container = (
            await http.post(
                f"/instagram/v25.0/{uid}/media",
                data={"image_url": sim_clean.media_url(), "caption": f"c{attempt}"},
                params={"access_token": token},
            )
        ).json()["id"]
        r = await http.post(
            f"/instagram/v25.0/{uid}/media_publish",
            data={"creation_id": container, "access_token": token},
        )
        assert r.status_code == 400
        error = r.json()["error"]
        assert (error["code"], error["error_subcode"]) == (4, 2207051)
    # The first block stopped the post; the second came after it went out.
    assert [p["text"] for p in await sim_clean.published("INSTAGRAM")] == ["c1"]


async def test_instagram_refresh_can_be_throttled(http, sim_clean):
    token, _ = await _ig_token(http, "thr")
    await sim_clean.script("INSTAGRAM", [{"fault": "rate_limit"}], action="oauth")
    params = {"grant_type": "ig_refresh_token", "access_token": token}
    throttled = await http.get("/instagram/refresh_access_token", params=params)
    assert throttled.status_code == 400
    assert throttled.json()["error"]["code"] == 80002
    # The token was not spent: the next refresh goes through.
    again = await http.get("/instagram/refresh_access_token", params=params)
    assert again.status_code == 200
    assert again.json()["access_token"] != token
