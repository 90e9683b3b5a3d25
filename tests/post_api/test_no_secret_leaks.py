"""No token, key or password in any response or log line, across a whole session of use.

Logging is set up as the services set it up (``configure_logging``), at DEBUG, in both
formats. Every response is kept. Then every secret the session touched is looked for:
the password, the bearer token, the JWT secret, the encryption keys, the platforms' client
secrets, the platform tokens and PKCE verifiers stored (encrypted) for the accounts, the
webhook signing secrets, the calendar feed tokens and the password hash. The bearer token
may appear only in the login answer, a webhook secret or a feed's address only in the answer
that made it.
"""

from __future__ import annotations

import io
import logging
import sys
import uuid

import httpx
import pytest
from sqlalchemy import select

from herald_common.logging import configure_logging
from herald_db.models import OAuthState, PublishingAccount, User
from herald_post_api.accounts import service as accounts_service
from tests.conftest import API_BASE
from tests.factories import authorize, finish

PASSWORD = f"a long secret passphrase {uuid.uuid4().hex[:8]}"
WRONG = f"a wrong passphrase {uuid.uuid4().hex[:8]}"


@pytest.fixture
def captured_logs(monkeypatch, request):
    """The services' own logging set-up at DEBUG, writing into a buffer."""
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("DEBUG", as_json=request.param, name="post-api")
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


@pytest.mark.parametrize("captured_logs", [False, True], ids=["text", "json"], indirect=True)
async def test_a_whole_session_leaks_no_secret(
    app, settings, sim, sessionmaker, box, captured_logs, monkeypatch
):
    answers: list[tuple[str, httpx.Response]] = []

    async def keep(response: httpx.Response) -> None:
        await response.aread()
        answers.append((f"{response.request.method} {response.request.url.path}", response))

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport, base_url=API_BASE, event_hooks={"response": [keep]}
    ) as c:
        email = f"leak-{uuid.uuid4().hex[:8]}@example.com"
        r = await c.post(
            "/v1/auth/register", json={"email": email, "password": PASSWORD, "timezone": "UTC"}
        )
        assert r.status_code == 201
        assert (
            await c.post("/v1/auth/token", data={"username": email, "password": WRONG})
        ).status_code == 401
        login = await c.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
        token = login.json()["access_token"]
        me = type("Me", (), {"headers": {"Authorization": f"Bearer {token}"}})()
        h = me.headers

        for platform in ("twitter", "linkedin", "instagram", "facebook"):
            location = await authorize(c, me, platform, login=f"leak-{uuid.uuid4().hex[:6]}")
            await c.get(location.path, params=dict(location.params))  # the landing page
            assert (await finish(c, None, location)).status_code == 401
            assert (await finish(c, me, location)).status_code == 200
        await c.get("/v1/accounts", headers=h)
        await c.get("/v1/me", headers=h)
        await c.patch("/v1/me", json={"timezone": "Europe/Paris"}, headers=h)
        created = await c.post(
            "/v1/webhooks", json={"url": "https://hooks.example.com/h"}, headers=h
        )
        hook = created.json()
        rotated = await c.post(f"/v1/webhooks/{hook['id']}/rotate-secret", headers=h)
        await c.get("/v1/webhooks", headers=h)
        await c.get(f"/v1/webhooks/{hook['id']}", headers=h)
        await c.post(
            "/v1/posts",
            json={"content": "hello", "platforms": ["TWITTER", "LINKEDIN"]},
            headers={**h, "Idempotency-Key": str(uuid.uuid4())},
        )
        await c.post(
            "/v1/posts/batch",
            json={"posts": [{"content": "batch", "platforms": ["LINKEDIN"]}, {"content": 1}]},
            headers=h,
        )
        await c.post(
            "/v1/posts/import",
            content=b"content,platforms\nimported,LINKEDIN\n",
            headers={**h, "content-type": "text/csv"},
        )
        await c.get("/v1/posts", headers=h)
        feed = await c.post("/v1/calendar/feed", headers=h)
        feed_rotated = await c.post("/v1/calendar/feed/rotate", headers=h)
        for url in (feed.json()["url"], feed_rotated.json()["url"]):
            await c.get(httpx.URL(url).path)
        await c.get("/v1/calendar/feed", headers=h)
        await c.delete("/v1/calendar/feed", headers=h)
        await c.get(httpx.URL(feed_rotated.json()["url"]).path)
        await c.get(f"/v1/posts/{uuid.uuid4()}", headers=h)
        await c.get("/v1/me", headers={"Authorization": f"Bearer {token}x"})
        await c.post("/v1/auth/register", json={"email": email, "password": PASSWORD})

        # An unexpected failure whose message carries secrets, as a library's might.
        async with sessionmaker() as s:
            stored = (
                (await s.execute(select(PublishingAccount).join(User).where(User.email == email)))
                .scalars()
                .all()
            )
            verifiers = [
                box.decrypt_str(v.code_verifier)
                for v in (
                    await s.execute(select(OAuthState).join(User).where(User.email == email))
                ).scalars()
                if v.code_verifier
            ]
            password_hash = (
                await s.execute(select(User.password_hash).where(User.email == email))
            ).scalar_one()
        credentials = [box.decrypt_json(a.credentials) for a in stored]
        platform_tokens = [
            str(cred[k])
            for cred in credentials
            for k in ("access_token", "refresh_token")
            if cred.get(k)
        ]
        assert len(platform_tokens) >= 4
        assert len(verifiers) == 4

        async def boom(*args, **kwargs):
            raise RuntimeError(
                f"upstream said no to Authorization: Bearer {token} with "
                f"access_token={platform_tokens[0]}&client_secret={settings.x_client_secret}"
            )

        monkeypatch.setattr(accounts_service, "list_accounts", boom)
        failed = await c.get("/v1/accounts", headers=h)
        assert failed.status_code == 500

    logs = captured_logs.getvalue()
    assert "RuntimeError" in logs  # the failure was logged, with its traceback
    assert "POST /v1/auth/token" in [where for where, _ in answers]

    secrets = {
        "password": PASSWORD,
        "wrong password": WRONG,
        "password hash": password_hash,
        "bearer token": token,
        "JWT secret": settings.jwt_secret,
        "X client secret": settings.x_client_secret,
        "LinkedIn client secret": settings.linkedin_client_secret,
        "Instagram client secret": settings.instagram_client_secret,
        "Facebook client secret": settings.facebook_client_secret,
        "webhook secret": hook["secret"],
        "rotated webhook secret": rotated.json()["secret"],
        "calendar feed token": _feed_token(feed.json()["url"]),
        "rotated calendar feed token": _feed_token(feed_rotated.json()["url"]),
        **{f"encryption key {i}": k for i, k in enumerate(settings.encryption_keys.split(","))},
        **{f"platform token {i}": t for i, t in enumerate(platform_tokens)},
        **{f"PKCE verifier {i}": v for i, v in enumerate(verifiers)},
    }
    allowed = {
        "bearer token": {id(login)},
        "webhook secret": {id(created)},
        "rotated webhook secret": {id(rotated)},
        "calendar feed token": {id(feed)},
        "rotated calendar feed token": {id(feed_rotated)},
    }
    leaks = [(name, "log") for name, value in secrets.items() if value in logs]
    for where, response in answers:
        text = response.text + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        for name, value in secrets.items():
            if value in text and id(response) not in allowed.get(name, set()):
                leaks.append((name, where))
    assert leaks == []


def _feed_token(url: str) -> str:
    token = httpx.URL(url).path.removeprefix("/v1/calendar/").removesuffix(".ics")
    assert token.startswith("hcal_")
    return token
