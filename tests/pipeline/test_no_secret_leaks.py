"""No platform token, client secret, key or webhook secret in any log line of the pipeline.

The scheduler and the publisher run with the services' logging at DEBUG while a post goes
to the four platforms: X renews its access token on the way, LinkedIn refuses a revoked
token, and a webhook is signed and delivered.
"""

from __future__ import annotations

import asyncio
import io
import logging
import sys

import pytest
from sqlalchemy import select

from herald_common.logging import configure_logging
from herald_common.webhooks import new_secret
from herald_db.models import PublishingAccount, WebhookDelivery, WebhookEndpoint
from herald_devrun.infra import free_port
from tests.pipeline.helpers import post_status, schedule, user_with_accounts


@pytest.fixture
def captured_logs(monkeypatch):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("DEBUG", as_json=False, name="publisher")
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


async def _tokens(pipeline, user_id) -> list[str]:
    async with pipeline.sessionmaker() as s:
        rows = await s.execute(
            select(PublishingAccount.credentials).where(PublishingAccount.user_id == user_id)
        )
        creds = [pipeline.box.decrypt_json(c) for c in rows.scalars()]
    return [str(c[k]) for c in creds for k in ("access_token", "refresh_token") if c.get(k)]


async def test_publishing_logs_no_secret(pipeline, captured_logs):
    caller = await user_with_accounts(pipeline, ["TWITTER", "LINKEDIN", "INSTAGRAM", "FACEBOOK"])
    listed = (await pipeline.api.get("/v1/accounts", headers=caller.headers)).json()
    # One platform login for the four (user_with_accounts); X shows it as @login.
    login = next(a for a in listed if a["platform"] == "TWITTER")["display_name"][1:]
    await pipeline.sim.expire_token("TWITTER", login)
    await pipeline.sim.revoke("LINKEDIN", login)
    before = await _tokens(pipeline, caller.id)

    secret = new_secret()
    port = free_port()

    async def receive(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(receive, "127.0.0.1", port)
    async with pipeline.sessionmaker() as s:
        s.add(
            WebhookEndpoint(
                user_id=caller.id,
                url=f"http://127.0.0.1:{port}/hook",
                secret=pipeline.box.encrypt_str(secret),
                event_types=[],
            )
        )
        await s.commit()
    try:
        pid = await schedule(pipeline, caller, seconds=0.5)

        async def settled() -> bool:
            if await post_status(pipeline, pid) not in ("PUBLISHED", "FAILED"):
                return False
            async with pipeline.sessionmaker() as s:
                rows = (await s.execute(select(WebhookDelivery.status))).scalars().all()
            return bool(rows) and "PENDING" not in rows

        await pipeline.until(settled)
    finally:
        server.close()
        await server.wait_closed()
    assert await post_status(pipeline, pid) == "FAILED"  # LinkedIn's token was revoked
    after = await _tokens(pipeline, caller.id)
    assert set(after) - set(before), "X renewed its token during the publish"

    settings = pipeline.publisher_settings
    secrets = {
        "JWT secret": settings.jwt_secret,
        "encryption key": settings.encryption_keys,
        "webhook secret": secret,
        "X client secret": settings.x_client_secret,
        "LinkedIn client secret": settings.linkedin_client_secret,
        "Instagram client secret": settings.instagram_client_secret,
        "Facebook client secret": settings.facebook_client_secret,
        **{f"platform token {i}": t for i, t in enumerate(sorted(set(before + after)))},
    }
    logs = captured_logs.getvalue()
    assert "publish" in logs.lower()  # the run did log
    assert [name for name, value in secrets.items() if value in logs] == []
