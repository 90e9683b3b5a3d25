"""Connecting accounts against the simulator: connect, callback, list, disconnect, reconnect."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from herald_common.crypto import SecretBox, generate_key
from herald_db.models import PublishingAccount
from tests.factories import authorize, connect_via_oauth, finish, in_future, register

PLATFORMS = ["twitter", "instagram", "linkedin", "facebook"]


@pytest.mark.parametrize("platform", PLATFORMS)
async def test_connect_list_disconnect_reconnect(client, sim, platform):
    caller = await register(client)
    account = await connect_via_oauth(client, caller, platform, login=f"{platform}-user")
    assert account["platform"] == platform.upper()
    assert account["state"] == "active"
    listed = (await client.get("/v1/accounts", headers=caller.headers)).json()
    assert [a["id"] for a in listed] == [account["id"]]
    assert "access_token" not in str(listed)
    assert 'token"' not in str(listed)
    gone = await client.delete(f"/v1/accounts/{account['id']}", headers=caller.headers)
    assert gone.status_code == 204
    listed = (await client.get("/v1/accounts", headers=caller.headers)).json()
    assert listed[0]["state"] == "disconnected"
    again = await connect_via_oauth(client, caller, platform, login=f"{platform}-user")
    assert again["id"] == account["id"]
    assert again["state"] == "active"


async def test_posts_need_a_connected_account(client, sim):
    caller = await register(client)
    body = {"content": "hi", "platforms": ["TWITTER"], "scheduled_at": in_future()}
    refused = await client.post("/v1/posts", json=body, headers=caller.headers)
    assert refused.status_code == 422
    await connect_via_oauth(client, caller, "twitter")
    ok = await client.post("/v1/posts", json=body, headers=caller.headers)
    assert ok.status_code == 201


async def test_wrong_or_reused_state_is_refused(client, sim):
    caller = await register(client)
    location = await authorize(client, caller, "linkedin")
    forged = location.copy_merge_params({"state": "not-the-state"})
    r = await finish(client, caller, forged)
    assert r.status_code == 422
    assert r.json()["field"] == "state"
    first = await finish(client, caller, location)
    assert first.status_code == 200
    reused = await finish(client, caller, location)
    assert reused.status_code == 422
    assert reused.json()["field"] == "state"


async def test_state_of_one_platform_is_refused_by_another(client, sim):
    caller = await register(client)
    start = (await client.get("/v1/accounts/twitter/connect", headers=caller.headers)).json()
    r = await client.post(
        "/v1/accounts/linkedin/callback",
        json={"code": "x", "state": start["state"]},
        headers=caller.headers,
    )
    assert r.status_code == 422


async def test_a_platform_refusal_is_told_and_connects_nothing(client, sim):
    caller = await register(client)
    start = (await client.get("/v1/accounts/facebook/connect", headers=caller.headers)).json()
    r = await client.post(
        "/v1/accounts/facebook/callback",
        json={"state": start["state"], "error": "access_denied"},
        headers=caller.headers,
    )
    assert r.status_code == 422
    assert r.json()["field"] == "error"
    assert (await client.get("/v1/accounts", headers=caller.headers)).json() == []


async def test_unknown_platform_is_404(client):
    caller = await register(client)
    r = await client.get("/v1/accounts/myspace/connect", headers=caller.headers)
    assert r.status_code == 404
    assert r.json()["field"] == "platform"


async def test_another_users_account_is_404(client, sim):
    owner = await register(client)
    account = await connect_via_oauth(client, owner, "facebook")
    intruder = await register(client)
    r = await client.delete(f"/v1/accounts/{account['id']}", headers=intruder.headers)
    assert r.status_code == 404
    listed = (await client.get("/v1/accounts", headers=owner.headers)).json()
    assert listed[0]["state"] == "active"


async def test_tokens_are_encrypted_at_rest_and_survive_key_rotation(
    client, sim, sessionmaker, settings
):
    caller = await register(client)
    account = await connect_via_oauth(client, caller, "twitter", login="crypto")
    async with sessionmaker() as s:
        raw = (
            await s.execute(
                text("SELECT credentials FROM publishing_accounts WHERE id = :id"),
                {"id": account["id"]},
            )
        ).scalar_one()
        row = (
            await s.execute(select(PublishingAccount).where(PublishingAccount.id == account["id"]))
        ).scalar_one()
    old_box = SecretBox(settings.encryption_keys)
    creds = old_box.decrypt_json(row.credentials)
    assert creds["access_token"].startswith("sim")
    assert creds["access_token"].encode() not in bytes(raw)
    assert creds["refresh_token"].encode() not in bytes(raw)
    assert b"access_token" not in bytes(raw)
    # A new key in front: old rows still read, new writes use the new key.
    new_key = generate_key()
    rotated = SecretBox(f"{new_key},{settings.encryption_keys}")
    assert rotated.decrypt_json(row.credentials) == creds
    reencrypted = rotated.rotate(bytes(row.credentials))
    assert SecretBox(new_key).decrypt_json(reencrypted) == creds
