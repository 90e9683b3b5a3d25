"""Notifications, webhook endpoints, the delivery log and the attempts list, scoped by user."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from herald_db.repositories import events
from tests.factories import connect_all, create_post, register


async def _emit(sessionmaker, user_id, kind: str, key: str) -> None:
    async with sessionmaker() as s:
        await events.emit(
            s,
            user_id=user_id,
            event_type=kind,
            payload={"k": key},
            now=datetime.now(UTC),
            notification=("Title", "Body"),
            dedupe_key=key,
        )
        await s.commit()


async def test_notifications_list_read_and_scope(client, sessionmaker):
    me = await register(client)
    other = await register(client)
    for i in range(3):
        await _emit(sessionmaker, me.id, "post.failed", f"n-{uuid.uuid4()}-{i}")
    dup = f"dup-{uuid.uuid4()}"
    await _emit(sessionmaker, me.id, "post.failed", dup)
    await _emit(sessionmaker, me.id, "post.failed", dup)  # the same fact twice: once
    page = (await client.get("/v1/notifications?limit=2", headers=me.headers)).json()
    assert len(page["items"]) == 2
    rest = (
        await client.get(f"/v1/notifications?cursor={page['next_cursor']}", headers=me.headers)
    ).json()
    assert len(rest["items"]) == 2
    assert rest["next_cursor"] is None
    first = page["items"][0]["id"]
    assert (
        await client.post(f"/v1/notifications/{first}/read", headers=other.headers)
    ).status_code == 404
    r = await client.post(f"/v1/notifications/{first}/read", headers=me.headers)
    assert r.status_code == 200
    assert r.json()["read_at"] is not None
    unread = (await client.get("/v1/notifications?unread=true", headers=me.headers)).json()
    assert len(unread["items"]) == 3
    assert (await client.get("/v1/notifications", headers=other.headers)).json()["items"] == []
    # Read-all marks the caller's unread ones, and only the caller's.
    await _emit(sessionmaker, other.id, "post.failed", f"o-{uuid.uuid4()}")
    r = await client.post("/v1/notifications/read-all", headers=me.headers)
    assert r.status_code == 200
    assert r.json() == {"marked": 3}
    assert (await client.post("/v1/notifications/read-all", headers=me.headers)).json() == {
        "marked": 0
    }
    unread = (await client.get("/v1/notifications?unread=true", headers=me.headers)).json()
    assert unread["items"] == []
    theirs = (await client.get("/v1/notifications?unread=true", headers=other.headers)).json()
    assert len(theirs["items"]) == 1


async def test_webhook_secret_shown_once_and_encrypted(client, sessionmaker):
    me = await register(client)
    r = await client.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.com/h", "event_types": ["post.failed"]},
        headers=me.headers,
    )
    assert r.status_code == 201
    secret = r.json()["secret"]
    assert secret.startswith("whsec_")
    hid = r.json()["id"]
    listed = (await client.get("/v1/webhooks", headers=me.headers)).json()
    assert "secret" not in listed[0]
    one = (await client.get(f"/v1/webhooks/{hid}", headers=me.headers)).json()
    assert "secret" not in one
    async with sessionmaker() as s:
        raw = (
            await s.execute(text("SELECT secret FROM webhook_endpoints WHERE id = :i"), {"i": hid})
        ).scalar_one()
    assert secret.encode() not in bytes(raw)
    rotated = await client.post(f"/v1/webhooks/{hid}/rotate-secret", headers=me.headers)
    assert rotated.json()["secret"] != secret


async def test_webhook_urls_and_events_are_checked(client):
    me = await register(client)
    refused = (
        "http://hooks.example.com/h",
        "https://10.0.0.1/h",
        "https://127.0.0.1/h",
        "https://169.254.169.254/latest",
        "https://169.254.169.254.nip.io/hook",
        "https://localhost./hook",
        "https://100.64.0.1/h",
        "https://[::ffff:127.0.0.1]/h",
        "https://[2002:a9fe:a9fe::1]/h",
        "https://does-not-resolve.invalid/h",
    )
    for url in refused:
        r = await client.post("/v1/webhooks", json={"url": url}, headers=me.headers)
        assert r.status_code == 422, url
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["field"] == "url"
    hook = await client.post(
        "/v1/webhooks", json={"url": "https://hooks.example.com/h"}, headers=me.headers
    )
    assert hook.status_code == 201
    for url in refused:
        r = await client.patch(
            f"/v1/webhooks/{hook.json()['id']}", json={"url": url}, headers=me.headers
        )
        assert r.status_code == 422, url
        assert r.json()["field"] == "url"
    listed = (await client.get("/v1/webhooks", headers=me.headers)).json()
    assert [w["url"] for w in listed] == ["https://hooks.example.com/h"]
    r = await client.post(
        "/v1/webhooks",
        json={"url": "https://x.example.com", "event_types": ["post.exploded"]},
        headers=me.headers,
    )
    assert r.status_code == 422
    assert r.json()["field"].startswith("event_types")


async def test_webhook_endpoints_are_scoped(client, sessionmaker):
    me = await register(client)
    other = await register(client)
    hid = (
        await client.post(
            "/v1/webhooks", json={"url": "https://h.example.com/x"}, headers=me.headers
        )
    ).json()["id"]
    await _emit(sessionmaker, me.id, "post.published", f"w-{uuid.uuid4()}")
    for method, path in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("GET", "/deliveries"),
    ):
        kwargs = {"json": {"description": "x"}} if method == "PATCH" else {}
        r = await client.request(
            method, f"/v1/webhooks/{hid}{path}", headers=other.headers, **kwargs
        )
        assert r.status_code == 404, (method, path)
    log = (await client.get(f"/v1/webhooks/{hid}/deliveries", headers=me.headers)).json()
    assert [d["event_type"] for d in log["items"]] == ["post.published"]
    assert log["items"][0]["status"] == "PENDING"
    # Pages of the log, newest first, each delivery once.
    for i in range(2):
        await _emit(sessionmaker, me.id, "post.failed", f"w-{uuid.uuid4()}-{i}")
    url = f"/v1/webhooks/{hid}/deliveries"
    page = (await client.get(f"{url}?limit=2", headers=me.headers)).json()
    rest = (await client.get(f"{url}?cursor={page['next_cursor']}", headers=me.headers)).json()
    assert rest["next_cursor"] is None
    seen = page["items"] + rest["items"]
    assert [d["event_type"] for d in seen] == ["post.failed", "post.failed", "post.published"]
    assert len({d["id"] for d in seen}) == 3
    assert (await client.delete(f"/v1/webhooks/{hid}", headers=me.headers)).status_code == 204
    assert (await client.get(f"/v1/webhooks/{hid}", headers=me.headers)).status_code == 404
    assert (await client.get("/v1/webhooks", headers=me.headers)).json() == []


async def test_attempts_list_is_scoped(client, sessionmaker, box):
    me = await register(client)
    await connect_all(sessionmaker, box, me.id)
    post = await create_post(client, me)
    r = await client.get(f"/v1/posts/{post['id']}/attempts", headers=me.headers)
    assert r.status_code == 200
    assert r.json() == []
    other = await register(client)
    r = await client.get(f"/v1/posts/{post['id']}/attempts", headers=other.headers)
    assert r.status_code == 404
