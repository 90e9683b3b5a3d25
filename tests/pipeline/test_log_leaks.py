"""The logs of a whole run in real processes, in both formats, hold no secret.

The post API, the scheduler and the publisher run as the deploy runs them, at DEBUG, with a
database address that carries a password. The run registers and logs in, connects four
accounts through the platforms' OAuth flows, makes a webhook and a calendar feed, and
publishes a post while X renews its token, LinkedIn refuses a revoked one (a webhook tells
of it) and Instagram's API answers something undocumented (the publisher logs tracebacks).
Then every secret the run touched is looked for in every line; JSON lines must each parse
and carry their context (request id, job id, post id, platform).
"""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from herald_db.models import PublishingAccount
from herald_devrun.infra import free_port
from tests.conftest import API_BASE
from tests.factories import PASSWORD, connect_via_oauth, register
from tests.pipeline.helpers import ALL, results
from tests.post_api.live import run_api

pytestmark = pytest.mark.slow


class OddPlatform:
    """A platform API that answers every request with ``200 []`` and keeps what it got."""

    def __init__(self) -> None:
        self.port = free_port()
        self.requests: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            self.requests.append(head + await reader.readexactly(length))
            writer.write(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n"
                b"connection: close\r\n\r\n[]"
            )
            await writer.drain()
        finally:
            writer.close()


class Hooks:
    def __init__(self) -> None:
        self.port = free_port()
        self.received = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        self.received += 1
        writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


async def _until(condition, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(0.1)


async def _tokens(pipeline, user_id) -> list[str]:
    async with pipeline.sessionmaker() as s:
        rows = await s.execute(
            select(PublishingAccount.credentials).where(PublishingAccount.user_id == user_id)
        )
        creds = [pipeline.box.decrypt_json(c) for c in rows.scalars()]
    return [str(c[k]) for c in creds for k in ("access_token", "refresh_token") if c.get(k)]


@pytest.mark.parametrize("fmt", ["text", "json"])
async def test_a_failing_run_logs_no_secret_in_either_format(pipeline, tmp_path: Path, fmt):
    db_password = f"pw-{secrets.token_urlsafe(12)}"
    # Postgres here trusts loopback, so the password is carried but never checked.
    database_url = (
        make_url(pipeline.env["DATABASE_URL"])
        .set(password=db_password)
        .render_as_string(hide_password=False)
    )
    odd, hooks = OddPlatform(), Hooks()
    odd_server = await asyncio.start_server(odd.handle, "127.0.0.1", odd.port)
    hook_server = await asyncio.start_server(hooks.handle, "127.0.0.1", hooks.port)
    common = {
        "DATABASE_URL": database_url,
        "HERALD_LOG_LEVEL": "DEBUG",
        "HERALD_LOG_FORMAT": fmt,
        "HERALD_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1",
        "HERALD_UNKNOWN_SETTLE_SECONDS": "0.5",
    }
    logs = {name: tmp_path / f"{name}.log" for name in ("api", "scheduler", "publisher")}
    scheduler = pipeline.start("herald_scheduler", log=logs["scheduler"], **common)
    publisher = pipeline.start(
        "herald_publisher",
        log=logs["publisher"],
        HERALD_INSTAGRAM_GRAPH_BASE=f"http://127.0.0.1:{odd.port}",
        **common,
    )
    api_env = {**pipeline.env, **common, "HERALD_OAUTH_REDIRECT_BASE": API_BASE}
    request_id = f"req-{uuid.uuid4().hex}"
    try:
        async with run_api(api_env, logs["api"]) as api:
            await pipeline.ready(scheduler)
            await pipeline.ready(publisher)
            async with httpx.AsyncClient(base_url=api.base_url) as http:
                caller = await register(http)
                me = await http.get(
                    "/v1/me", headers={**caller.headers, "X-Request-ID": request_id}
                )
                assert me.headers["x-request-id"] == request_id
                # Not a sane id (spaces, quotes, too long): replaced by one of the API's own.
                strange = 'a "b" ' + "x" * 200
                odd_id = await http.get(
                    "/v1/me", headers={**caller.headers, "X-Request-ID": strange}
                )
                assert re.fullmatch(r"[0-9a-f]{32}", odd_id.headers["x-request-id"])
                login = uuid.uuid4().hex[:8]
                for platform in ALL:
                    await connect_via_oauth(http, caller, platform.lower(), login=login)
                await pipeline.sim.expire_token("TWITTER", login)
                await pipeline.sim.revoke("LINKEDIN", login)
                before = await _tokens(pipeline, caller.id)
                hook = await http.post(
                    "/v1/webhooks",
                    json={"url": f"http://127.0.0.1:{hooks.port}/hook"},
                    headers=caller.headers,
                )
                assert hook.status_code == 201, hook.text
                feed = await http.post("/v1/calendar/feed", headers=caller.headers)
                assert feed.status_code == 201, feed.text
                feed_url = feed.json()["url"]
                read = await http.get(feed_url.replace(API_BASE, api.base_url))
                assert read.status_code == 200
                created = await http.post(
                    "/v1/posts",
                    json={
                        "content": f"log run {uuid.uuid4().hex}",
                        "platforms": ALL,
                        "media_urls": [pipeline.sim.media_url()],
                        "scheduled_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
                    },
                    headers=caller.headers,
                )
                assert created.status_code == 201, created.text
                post_id = created.json()["id"]

                async def settled() -> bool:
                    # X published on a renewed token, LinkedIn refused the revoked one, and
                    # Instagram's odd answers broke the publisher more than once.
                    found = {
                        p: r.status.value for p, r in (await results(pipeline, post_id)).items()
                    }
                    crashes = (
                        logs["publisher"].read_text(errors="replace").count("failed unexpectedly")
                    )
                    return (
                        found.get("TWITTER") == "SUCCEEDED"
                        and found.get("LINKEDIN") == "FAILED"
                        and crashes >= 2
                    )

                async def delivered() -> bool:
                    return hooks.received >= 1

                await _until(settled)
                await _until(delivered)
        after = await _tokens(pipeline, caller.id)
    finally:
        pipeline.stop_all()
        odd_server.close()
        hook_server.close()
        await odd_server.wait_closed()
        await hook_server.wait_closed()

    assert set(after) - set(before), "X renewed its token during the run"
    sent = b"".join(odd.requests)
    assert any(t.encode() in sent for t in before), "a token went to the odd platform"

    settings = pipeline.publisher_settings
    hidden = {
        "password": PASSWORD,
        "bearer token": caller.token,
        "JWT secret": settings.jwt_secret,
        "encryption key": settings.encryption_keys,
        "database password": db_password,
        "webhook secret": hook.json()["secret"],
        "calendar feed address": feed_url.rsplit("/", 1)[1].removesuffix(".ics"),
        "X client secret": settings.x_client_secret,
        "LinkedIn client secret": settings.linkedin_client_secret,
        "Instagram client secret": settings.instagram_client_secret,
        "Facebook client secret": settings.facebook_client_secret,
        **{f"platform token {i}": t for i, t in enumerate(sorted(set(before + after)))},
    }
    text = {name: path.read_text(errors="replace") for name, path in logs.items()}
    everything = "\n".join(text.values())
    leaks = [
        f"{name} in {where}"
        for name, value in hidden.items()
        for where, t in text.items()
        if value in t
    ]
    assert leaks == []
    # The run did log, with tracebacks.
    assert "Traceback (most recent call last)" in text["publisher"]
    assert "failed unexpectedly" in text["publisher"]
    assert request_id in text["api"]

    if fmt == "json":
        lines = {
            name: [json.loads(line) for line in t.splitlines() if line.strip()]
            for name, t in text.items()
        }
        assert any(line.get("request_id") == request_id for line in lines["api"])
        crash = [line for line in lines["publisher"] if "failed unexpectedly" in line["msg"]]
        assert crash
        assert crash[0]["exc"].startswith("Traceback")
        assert crash[0]["post_id"] == post_id
        assert crash[0]["platform"] == "INSTAGRAM"
        assert crash[0]["job_id"]
        assert {line["service"] for line in lines["publisher"]} == {"publisher"}
    else:
        assert f"request_id={request_id}" in text["api"]
        assert f"post_id={post_id}" in text["publisher"]
    assert everything
