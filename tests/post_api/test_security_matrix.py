"""The security matrix: every operation of the API against bad tokens and other users' ids.

Operations are read from the OpenAPI document, so an operation added later is covered (or
the test says which id it cannot fill).
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from herald_db.models import Notification, User
from herald_db.repositories import events
from herald_post_api.auth.security import create_access_token
from tests.factories import Caller, connect_all, create_post, in_future, register

# Operations anyone may call; every other one needs a valid bearer token.
PUBLIC = {
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("POST", "/v1/auth/register"),
    ("POST", "/v1/auth/token"),
    ("GET", "/v1/accounts/{platform}/callback"),  # connects nothing (test_oauth_binding)
    # Read with its secret address alone, for calendar apps (test_calendar).
    ("GET", "/v1/calendar/{token}.ics"),
}
# Bodies that pass validation, so the answer is about who asks, not what is sent.
BODIES: dict[tuple[str, str], Any] = {
    ("PATCH", "/v1/me"): {"timezone": "UTC"},
    ("POST", "/v1/posts"): {"content": "taken over", "platforms": ["TWITTER"]},
    ("POST", "/v1/posts/batch"): {"posts": [{"content": "taken over", "platforms": ["TWITTER"]}]},
    ("PATCH", "/v1/posts/{post_id}"): {"content": "taken over"},
    ("POST", "/v1/posts/{post_id}/schedule"): {"scheduled_at": "2099-01-01T09:00:00Z"},
    ("POST", "/v1/accounts/{platform}/callback"): {"code": "a-code", "state": "a-state"},
    ("POST", "/v1/webhooks"): {"url": "https://hooks.example.com/h"},
    ("PATCH", "/v1/webhooks/{webhook_id}"): {"description": "taken over"},
}


def operations(app) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, op)
        for path, ops in app.openapi()["paths"].items()
        for method, op in ops.items()
    ]


def fill(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace("{" + name + "}", value)
    assert "{" not in path, f"no id to fill {path} with: add it to the matrix"
    return path


async def call(client, method: str, path: str, template: str, headers: dict[str, str]):
    body = BODIES.get((method, template))
    return await client.request(method, path, json=body, headers=headers)


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def bad_tokens(caller: Caller, secret: str, deleted_user_token: str) -> dict[str, str | None]:
    now = datetime.now(UTC)
    header, payload, signature = caller.token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    other_user = {**claims, "sub": str(uuid.uuid4())}
    return {
        "none": None,
        "garbage": "not-a-token",
        "expired": create_access_token(
            str(caller.id), secret, now=now - timedelta(hours=2), ttl=3600
        ),
        "tampered": f"{header}.{_b64(other_user)}.{signature}",
        "alg=none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}.",
        "alg=none, no dot": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}",
        "wrong key": create_access_token(
            str(caller.id), "another-secret-0123456789abcdef0123456789", now=now, ttl=600
        ),
        "other issuer": _hs256({**claims, "iss": "someone-else"}, secret),
        "no expiry": _hs256({k: v for k, v in claims.items() if k != "exp"}, secret),
        "deleted user": deleted_user_token,
    }


def _hs256(claims: dict[str, Any], secret: str) -> str:
    from joserfc import jwt
    from joserfc.jwk import OctKey

    return jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(secret.encode()))


async def test_every_operation_but_the_public_ones_needs_a_valid_token(app, client, settings):
    caller = await register(client)
    gone = await register(client)
    async with app.state.sessionmaker() as s:
        await s.execute(delete(User).where(User.id == gone.id))
        await s.commit()
    tokens = bad_tokens(caller, settings.jwt_secret, gone.token)
    ids = {
        "post_id": str(uuid.uuid4()),
        "account_id": str(uuid.uuid4()),
        "webhook_id": str(uuid.uuid4()),
        "notification_id": str(uuid.uuid4()),
        "platform": "twitter",
    }
    guarded = [(m, p, op) for m, p, op in operations(app) if (m, p) not in PUBLIC]
    assert len(guarded) >= 25
    failures = []
    for method, template, op in guarded:
        assert op.get("security"), f"{method} {template} does not declare its bearer token"
        assert "401" in op["responses"], f"{method} {template} does not declare 401"
        for name, token in tokens.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            r = await call(client, method, fill(template, ids), template, headers)
            if (
                r.status_code != 401
                or r.headers.get("www-authenticate") != "Bearer"
                or r.headers["content-type"] != "application/problem+json"
            ):
                failures.append((method, template, name, r.status_code))
    assert failures == []


async def _owned_by(client, sessionmaker, box, owner: Caller) -> dict[str, str]:
    """One of everything an id can name, all belonging to ``owner``."""
    await connect_all(sessionmaker, box, owner.id)
    post = await create_post(client, owner, scheduled_at=in_future(120))
    hook = await client.post(
        "/v1/webhooks", json={"url": "https://hooks.example.com/h"}, headers=owner.headers
    )
    assert hook.status_code == 201
    async with sessionmaker() as s:
        await events.emit(
            s,
            user_id=owner.id,
            event_type="post.failed",
            payload={"post_id": post["id"]},
            now=datetime.now(UTC),
            notification=("Title", "Body"),
            dedupe_key=f"matrix-{uuid.uuid4()}",
        )
        await s.commit()
    notes = (await client.get("/v1/notifications", headers=owner.headers)).json()["items"]
    accounts = (await client.get("/v1/accounts", headers=owner.headers)).json()
    return {
        "post_id": post["id"],
        "account_id": accounts[0]["id"],
        "webhook_id": hook.json()["id"],
        "notification_id": notes[0]["id"],
        "platform": "twitter",
    }


async def _snapshot(client, owner: Caller, ids: dict[str, str]) -> dict[str, Any]:
    get = client.get
    h = owner.headers
    post = (await get(f"/v1/posts/{ids['post_id']}", headers=h)).json()
    post.pop("scheduled_at_local", None)
    return {
        "me": (await get("/v1/me", headers=h)).json(),
        "post": post,
        "posts": (await get("/v1/posts", headers=h)).json(),
        "accounts": (await get("/v1/accounts", headers=h)).json(),
        "webhooks": (await get("/v1/webhooks", headers=h)).json(),
        "notifications": (await get("/v1/notifications", headers=h)).json(),
        "deliveries": (await get(f"/v1/webhooks/{ids['webhook_id']}/deliveries", headers=h)).json(),
    }


async def test_every_operation_answers_404_for_another_users_ids(app, client, sessionmaker, box):
    owner = await register(client)
    intruder = await register(client)
    await connect_all(sessionmaker, box, intruder.id)
    ids = await _owned_by(client, sessionmaker, box, owner)
    before = await _snapshot(client, owner, ids)
    nowhere = {k: (v if k == "platform" else str(uuid.uuid4())) for k, v in ids.items()}

    scoped = [
        (m, p)
        for m, p, op in operations(app)
        if any(x["in"] == "path" and x["name"].endswith("_id") for x in op.get("parameters", []))
    ]
    assert len(scoped) >= 13
    # Deleting last: every other operation still finds the rows it would have touched.
    scoped.sort(key=lambda mp: mp[0] == "DELETE")
    failures = []
    for method, template in scoped:
        theirs = await call(client, method, fill(template, ids), template, intruder.headers)
        missing = await call(client, method, fill(template, nowhere), template, intruder.headers)
        # The same answer as for an id that does not exist: nothing tells them apart.
        if theirs.status_code != 404 or (
            theirs.json()["type"],
            theirs.json()["title"],
        ) != (missing.json()["type"], missing.json()["title"]):
            failures.append((method, template, theirs.status_code, theirs.text[:200]))
    assert failures == []

    # The intruder's lists show none of the owner's things.
    for path in ("/v1/posts", "/v1/accounts", "/v1/webhooks", "/v1/notifications"):
        listed = (await client.get(path, headers=intruder.headers)).text
        for value in ids.values():
            if value != "twitter":
                assert value not in listed, (path, value)
    # And the owner's things are as they were.
    assert await _snapshot(client, owner, ids) == before
    async with sessionmaker() as s:
        note = await s.get(Notification, uuid.UUID(ids["notification_id"]))
        assert note is not None
        assert note.read_at is None


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
async def test_an_intruder_cannot_tell_a_taken_id_from_a_free_one(
    client, sessionmaker, box, method
):
    owner = await register(client)
    intruder = await register(client)
    await connect_all(sessionmaker, box, owner.id)
    post = await create_post(client, owner)
    template = "/v1/posts/{post_id}"
    theirs = await call(client, method, f"/v1/posts/{post['id']}", template, intruder.headers)
    free = await call(client, method, f"/v1/posts/{uuid.uuid4()}", template, intruder.headers)
    assert theirs.status_code == free.status_code == 404
    strip = lambda body: {k: v for k, v in body.items() if k not in ("detail", "instance")}  # noqa: E731
    assert strip(theirs.json()) == strip(free.json())
