"""Scripted answers for the platforms' harder error classes: X's usage cap, LinkedIn's write
conflict, Instagram's restricted-activity block (which may come after the media went out) and
a throttled Instagram token refresh."""

from __future__ import annotations

from tests.platform_sim.conftest import LI_HEADERS, ig_token, li_token, x_auth


async def test_x_usage_cap_answers_the_documented_problem(http, sim_clean):
    headers = await x_auth(http)
    await sim_clean.script("TWITTER", [{"fault": "usage_cap"}])
    capped = await http.post("/x/2/tweets", json={"text": "capped"}, headers=headers)
    assert capped.status_code == 429
    body = capped.json()
    assert body["type"] == "https://api.x.com/2/problems/usage-capped"
    assert body["period"] == "Monthly"
    assert await sim_clean.published("TWITTER") == []


async def test_linkedin_write_conflict(http, sim_clean):
    token, urn = await li_token(http, "w")
    await sim_clean.script("LINKEDIN", [{"fault": "error", "status": 409}])
    r = await http.post(
        "/linkedin/rest/posts",
        json={"author": urn, "commentary": "hi"},
        headers={"authorization": f"Bearer {token}", **LI_HEADERS},
    )
    assert r.status_code == 409
    assert r.json()["message"] == "A write conflict occurred. Retry the request."


async def test_instagram_restricted_activity_may_come_after_publishing(http, sim_clean):
    token, uid = await ig_token(http, "spam")
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
    token, _ = await ig_token(http, "thr")
    await sim_clean.script("INSTAGRAM", [{"fault": "rate_limit"}], action="oauth")
    params = {"grant_type": "ig_refresh_token", "access_token": token}
    throttled = await http.get("/instagram/refresh_access_token", params=params)
    assert throttled.status_code == 400
    assert throttled.json()["error"]["code"] == 80002
    # The token was not spent: the next refresh goes through.
    again = await http.get("/instagram/refresh_access_token", params=params)
    assert again.status_code == 200
    assert again.json()["access_token"] != token
