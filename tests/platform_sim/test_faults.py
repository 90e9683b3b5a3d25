"""The simulator's faults: creates that land after the client gave up, faults on reads."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.platform_sim.conftest import LI_HEADERS, ig_token, li_token, until, x_auth


async def test_a_create_that_times_out_still_lands_later(http, sim_clean):
    h = await x_auth(http)
    await sim_clean.script("TWITTER", [{"fault": "late", "delay": 3, "hold": 30}])
    sent = time.time()
    async with httpx.AsyncClient(base_url=sim_clean.base_url, timeout=0.3) as impatient:
        with pytest.raises(httpx.ReadTimeout):
            await impatient.post("/x/2/tweets", json={"text": "slow one"}, headers=h)
    assert await sim_clean.published("TWITTER") == []  # not yet...
    landed = await until(lambda: sim_clean.published("TWITTER"))
    assert [p["text"] for p in landed] == ["slow one"]  # ... but it went out
    assert landed[0]["received_at"] >= sent + 3
    # The next request is served normally.
    ok = await http.post("/x/2/tweets", json={"text": "next"}, headers=h)
    assert ok.status_code == 201


async def test_a_held_answer_can_come_before_the_post_lands(http, sim_clean):
    token, uid = await ig_token(http)
    container = await http.post(
        f"/instagram/v25.0/{uid}/media",
        data={"image_url": sim_clean.media_url("a.jpg"), "access_token": token},
    )
    await sim_clean.script("INSTAGRAM", [{"fault": "late", "delay": 2, "hold": 0.2}])
    answer = await http.post(
        f"/instagram/v25.0/{uid}/media_publish",
        data={"creation_id": container.json()["id"], "access_token": token},
    )
    assert answer.status_code == 500  # the gateway gave up before the platform finished
    landed = await until(lambda: sim_clean.published("INSTAGRAM"))
    assert len(landed) == 1
    status = await http.get(
        f"/instagram/v25.0/{container.json()['id']}",
        params={"fields": "status_code", "access_token": token},
    )
    assert status.json()["status_code"] == "PUBLISHED"


async def test_reads_answer_scripted_faults(http, sim_clean):
    h = await x_auth(http, "reader")
    me = (await http.get("/x/2/users/me", headers=h)).json()["data"]
    await sim_clean.script("TWITTER", [{"fault": "rate_limit", "retry_after": 9}], action="read")
    limited = await http.get(f"/x/2/users/{me['id']}/tweets", headers=h)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "9"
    assert (await http.get(f"/x/2/users/{me['id']}/tweets", headers=h)).status_code == 200

    token, urn = await li_token(http)
    auth = {"authorization": f"Bearer {token}", **LI_HEADERS}
    await sim_clean.script("LINKEDIN", [{"fault": "error", "status": 503}], action="read")
    failed = await http.get(
        "/linkedin/rest/posts", params={"q": "author", "author": urn}, headers=auth
    )
    assert failed.status_code == 503

    ig, uid = await ig_token(http)
    await sim_clean.script("INSTAGRAM", [{"fault": "rate_limit"}], action="read")
    throttled = await http.get(f"/instagram/v25.0/{uid}/media", params={"access_token": ig})
    assert throttled.status_code == 400
    assert throttled.json()["error"]["code"] == 80002


async def test_random_faults_hit_reads_too(http, sim_clean):
    h = await x_auth(http)
    me = (await http.get("/x/2/users/me", headers=h)).json()["data"]
    await sim_clean.set_faults(TWITTER={"rate_limit_rate": 1.0})
    r = await http.get(f"/x/2/users/{me['id']}/tweets", headers=h)
    assert r.status_code == 429


async def test_unknown_faults_are_refused(http, sim_clean):
    r = await http.post(
        "/_sim/script", json={"platform": "TWITTER", "faults": [{"fault": "explode"}]}
    )
    assert r.status_code == 400
