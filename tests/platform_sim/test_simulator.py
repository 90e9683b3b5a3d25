"""The simulator's own promises: OAuth rules, limits, batch caps, faults, determinism."""

from __future__ import annotations

import json

import httpx

from herald_platform_sim.settings import SimSettings
from herald_platform_sim.testing import free_port, run_in_process
from tests.platform_sim.conftest import ig_token, x_auth, x_token


async def test_x_pkce_and_single_use_codes_and_refresh_tokens(http, sim_clean):
    r = await http.get(
        "/x-web/i/oauth2/authorize",
        params={
            "redirect_uri": "http://cb",
            "state": "s",
            "code_challenge": "abc",
            "code_challenge_method": "S256",
        },
    )
    code = httpx.URL(r.headers["location"]).params["code"]
    bad = await http.post(
        "/x/2/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://cb",
            "code_verifier": "wrong",
        },
    )
    assert bad.status_code == 400
    tokens = await x_token(http)
    assert tokens["expires_in"] == 7200
    first = await http.post(
        "/x/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert first.status_code == 200
    reused = await http.post(
        "/x/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
    )
    assert reused.status_code == 400  # the old refresh token stopped working


async def test_x_code_is_valid_30_seconds(http, sim_clean):
    r = await http.get(
        "/x-web/i/oauth2/authorize", params={"redirect_uri": "http://cb", "state": "s"}
    )
    code = httpx.URL(r.headers["location"]).params["code"]
    await sim_clean.advance_clock(31)
    late = await http.post(
        "/x/2/oauth2/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": "http://cb"},
    )
    assert late.status_code == 400


async def test_x_rate_limit_headers_and_429(http, sim_clean):
    await sim_clean.set_rate_limit("TWITTER", 2, 900)
    h = await x_auth(http)
    one = await http.post("/x/2/tweets", json={"text": "a"}, headers=h)
    assert one.headers["x-rate-limit-limit"] == "2"
    assert one.headers["x-rate-limit-remaining"] == "1"
    await http.post("/x/2/tweets", json={"text": "b"}, headers=h)
    third = await http.post("/x/2/tweets", json={"text": "c"}, headers=h)
    assert third.status_code == 429
    assert int(third.headers["x-rate-limit-reset"]) > 0


async def test_x_lookup_over_100_ids_and_meta_batch_over_50_are_refused(http, sim_clean):
    h = await x_auth(http)
    r = await http.get(
        "/x/2/tweets", params={"ids": ",".join(str(i) for i in range(101))}, headers=h
    )
    assert r.status_code == 400
    batch = [{"method": "GET", "relative_url": "v25.0/1"}] * 51
    r = await http.post("/facebook/", data={"access_token": "t", "batch": json.dumps(batch)})
    assert r.status_code == 400
    assert "Maximum batch size is 50" in r.json()["error"]["message"]


async def test_linkedin_requires_the_version_header(http, sim_clean):
    r = await http.post("/linkedin/rest/posts", json={})
    assert r.status_code == 400
    assert r.json()["code"] == "VERSION_MISSING"


async def test_faults_are_settable_and_inspection_lists_requests(http, sim_clean):
    await sim_clean.set_faults(TWITTER={"error_rate": 1.0})
    h = await x_auth(http)
    r = await http.post("/x/2/tweets", json={"text": "x"}, headers=h)
    assert r.status_code == 503
    faults = (await http.get("/_sim/faults")).json()
    assert faults["TWITTER"]["error_rate"] == 1.0
    await sim_clean.set_faults(TWITTER={"error_rate": 0.0})
    ok = await http.post("/x/2/tweets", json={"text": "x"}, headers=h)
    assert ok.status_code == 201
    items = await sim_clean.published("TWITTER")
    assert [i["request"] for i in items] == [{"text": "x"}]
    assert items[0]["received_at"] > 0


async def test_instagram_container_moves_to_finished():
    port = free_port()
    async with run_in_process(SimSettings(port=port, container_delay_seconds=60)) as sim:
        async with httpx.AsyncClient(base_url=sim.base_url) as http:
            token, uid = await ig_token(http)
            c = (
                await http.post(
                    f"/instagram/v25.0/{uid}/media",
                    data={"image_url": sim.media_url("a.jpg"), "access_token": token},
                )
            ).json()["id"]
            status = (
                await http.get(
                    f"/instagram/v25.0/{c}", params={"fields": "status_code", "access_token": token}
                )
            ).json()
            assert status["status_code"] == "IN_PROGRESS"
            early = await http.post(
                f"/instagram/v25.0/{uid}/media_publish",
                data={"creation_id": c, "access_token": token},
            )
            assert early.json()["error"]["error_subcode"] == 2207027
            await sim.advance_clock(61)
            status = (
                await http.get(
                    f"/instagram/v25.0/{c}", params={"fields": "status_code", "access_token": token}
                )
            ).json()
            assert status["status_code"] == "FINISHED"
            done = await http.post(
                f"/instagram/v25.0/{uid}/media_publish",
                data={"creation_id": c, "access_token": token},
            )
            assert done.status_code == 200
            status = (
                await http.get(
                    f"/instagram/v25.0/{c}", params={"fields": "status_code", "access_token": token}
                )
            ).json()
            assert status["status_code"] == "PUBLISHED"


async def test_metrics_are_deterministic_for_a_seed():
    numbers = []
    for _ in range(2):
        async with run_in_process(SimSettings(port=free_port(), seed=11)) as sim:
            state = None
            async with httpx.AsyncClient(base_url=sim.base_url) as http:
                h = await x_auth(http)
                pid = (await http.post("/x/2/tweets", json={"text": "d"}, headers=h)).json()
                pid = pid["data"]["id"]
                await sim.advance_clock(3600)  # within the token's two hours
                r = await http.get(
                    "/x/2/tweets", params={"ids": pid, "tweet.fields": "public_metrics"}, headers=h
                )
                state = r.json()["data"][0]["public_metrics"]
            numbers.append((pid, state))
    assert numbers[0] == numbers[1]
    assert numbers[0][1]["impression_count"] > 0


async def test_a_post_deleted_by_its_author_is_gone_from_reads_and_listings(http, sim_clean):
    h = await x_auth(http)
    kept = (await http.post("/x/2/tweets", json={"text": "kept"}, headers=h)).json()["data"]["id"]
    gone = (await http.post("/x/2/tweets", json={"text": "gone"}, headers=h)).json()["data"]["id"]
    assert (await sim_clean.delete_post(gone))["deleted"] is True
    r = await http.get("/x/2/tweets", params={"ids": f"{kept},{gone}"}, headers=h)
    assert [t["id"] for t in r.json()["data"]] == [kept]
    assert r.json()["errors"][0]["resource_id"] == gone
    assert [p["external_id"] for p in await sim_clean.published("TWITTER")] == [kept]
    # The same text again is no duplicate of a deleted post; an unknown id is refused.
    again = await http.post("/x/2/tweets", json={"text": "gone"}, headers=h)
    assert again.status_code == 201
    assert (await http.delete(f"/_sim/published/{gone}")).status_code == 404
