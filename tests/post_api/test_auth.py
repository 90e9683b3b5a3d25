"""Registration, login, bearer tokens: expiry and tampering."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

from herald_post_api.auth.security import create_access_token
from tests.factories import PASSWORD, register


async def test_register_login_and_me(client):
    caller = await register(client, timezone="Europe/Paris")
    r = await client.get("/v1/me", headers=caller.headers)
    assert r.status_code == 200
    assert r.json()["email"] == caller.email
    assert r.json()["timezone"] == "Europe/Paris"
    assert "password" not in r.text
    assert "hash" not in r.text


async def test_register_twice_is_conflict(client):
    caller = await register(client)
    r = await client.post(
        "/v1/auth/register", json={"email": caller.email.upper(), "password": PASSWORD}
    )
    assert r.status_code == 409
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["field"] == "email"


async def test_register_refuses_unknown_timezone(client):
    r = await client.post(
        "/v1/auth/register",
        json={"email": "tz@example.com", "password": PASSWORD, "timezone": "Mars/Olympus"},
    )
    assert r.status_code == 422
    assert r.json()["field"] == "timezone"


async def test_wrong_password_is_401(client):
    caller = await register(client)
    r = await client.post("/v1/auth/token", data={"username": caller.email, "password": "nope"})
    assert r.status_code == 401
    assert r.json()["type"].endswith("bad-credentials")


async def test_missing_token_is_401(client):
    r = await client.get("/v1/me")
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"


async def test_expired_token_is_refused(client, settings):
    caller = await register(client)
    past = datetime.now(UTC) - timedelta(hours=2)
    token = create_access_token(str(caller.id), settings.jwt_secret, now=past, ttl=3600)
    r = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert "expired" in r.json()["detail"]


async def test_token_expiry_follows_the_injected_clock(app, client, settings):
    caller = await register(client)
    original = app.state.clock
    app.state.clock = lambda: datetime.now(UTC) + timedelta(seconds=settings.jwt_ttl_seconds + 1)
    try:
        r = await client.get("/v1/me", headers=caller.headers)
    finally:
        app.state.clock = original
    assert r.status_code == 401


async def test_tampered_token_is_refused(client):
    caller = await register(client)
    header, payload, sig = caller.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "00000000-0000-0000-0000-000000000000"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    r = await client.get("/v1/me", headers={"Authorization": f"Bearer {header}.{forged}.{sig}"})
    assert r.status_code == 401


async def test_token_signed_with_another_key_is_refused(client):
    caller = await register(client)
    token = create_access_token(
        str(caller.id), "another-secret-0123456789abcdef0123456789", now=datetime.now(UTC), ttl=600
    )
    r = await client.get("/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 401


async def test_patch_me_changes_timezone_and_validates_it(client):
    caller = await register(client)
    r = await client.patch("/v1/me", json={"timezone": "Asia/Tokyo"}, headers=caller.headers)
    assert r.status_code == 200
    assert r.json()["timezone"] == "Asia/Tokyo"
    bad = await client.patch("/v1/me", json={"timezone": "Nowhere/City"}, headers=caller.headers)
    assert bad.status_code == 422
    assert bad.json()["field"] == "timezone"
