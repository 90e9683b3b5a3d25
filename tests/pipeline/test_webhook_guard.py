"""Webhook delivery passes the shared guard: what registration refuses, delivery refuses too."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from herald_common.webhooks import new_secret
from herald_db.models import WebhookDelivery, WebhookEndpoint
from herald_db.repositories import events
from herald_devrun.infra import free_port
from tests.factories import register


class Receiver:
    """Counts every connection made to it, whatever is sent."""

    def __init__(self) -> None:
        self.port = free_port()
        self.connections = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


async def _endpoints(pipeline, user_id: uuid.UUID, urls: list[str]) -> None:
    # Written straight to the table: as if registered before the rules (or the DNS) changed.
    async with pipeline.sessionmaker() as s:
        for url in urls:
            s.add(
                WebhookEndpoint(
                    user_id=user_id,
                    url=url,
                    secret=pipeline.box.encrypt_str(new_secret()),
                    event_types=[],
                )
            )
        await s.flush()
        await events.emit(
            s,
            user_id=user_id,
            event_type="post.failed",
            payload={"post_id": str(uuid.uuid4())},
            now=datetime.now(UTC),
            notification=("Title", "Body"),
            dedupe_key=f"guard-{uuid.uuid4()}",
        )
        await s.commit()


async def _deliveries(pipeline, user_id: uuid.UUID) -> dict[str, WebhookDelivery]:
    async with pipeline.sessionmaker() as s:
        rows = await s.execute(
            select(WebhookEndpoint.url, WebhookDelivery)
            .join(WebhookDelivery, WebhookDelivery.endpoint_id == WebhookEndpoint.id)
            .where(WebhookEndpoint.user_id == user_id)
        )
        return {url: delivery for url, delivery in rows.all()}


async def test_delivery_refuses_private_destinations_and_plain_http_outside_dev(pipeline):
    # Production: https only. 127.0.0.1 stays an allowed host (an operator's own receiver).
    pipeline.publisher_settings = pipeline.publisher_settings.model_copy(
        update={"environment": "production"}
    )
    receiver = Receiver()
    server = await asyncio.start_server(receiver.handle, "127.0.0.1", receiver.port)
    caller = await register(pipeline.api)
    urls = [
        "https://169.254.169.254.nip.io/hook",
        "https://localhost./hook",
        f"https://127.0.0.1.nip.io:{receiver.port}/hook",  # a public name leading to loopback
        f"https://[::ffff:127.0.0.1]:{receiver.port}/hook",
        "https://100.64.0.1/hook",
        f"http://127.0.0.1:{receiver.port}/hook",  # allowed host, but plain http
    ]
    try:
        await _endpoints(pipeline, caller.id, urls)

        async def settled() -> bool:
            found = await _deliveries(pipeline, caller.id)
            return len(found) == len(urls) and all(d.status != "PENDING" for d in found.values())

        await pipeline.until(settled)
    finally:
        server.close()
        await server.wait_closed()
    found = await _deliveries(pipeline, caller.id)
    for url in urls:
        delivery = found[url]
        assert delivery.status == "FAILED", url
        assert delivery.attempts == 1, url  # refused for good: no retry
        assert delivery.last_error is not None
        assert delivery.last_error.startswith("destination refused"), (url, delivery.last_error)
    assert "https" in found[f"http://127.0.0.1:{receiver.port}/hook"].last_error
    assert receiver.connections == 0


async def test_development_delivers_to_an_allowed_plain_http_receiver(pipeline):
    received: list[bytes] = []
    port = free_port()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            int(line.split(b":", 1)[1])
            for line in head.split(b"\r\n")
            if line.lower().startswith(b"content-length:")
        )
        received.append(await reader.readexactly(length))
        writer.write(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port)
    caller = await register(pipeline.api)
    url = f"http://127.0.0.1:{port}/hook"
    try:
        await _endpoints(pipeline, caller.id, [url])

        async def delivered() -> bool:
            found = await _deliveries(pipeline, caller.id)
            return url in found and found[url].status == "DELIVERED"

        await pipeline.until(delivered)
    finally:
        server.close()
        await server.wait_closed()
    assert len(received) == 1
    assert b"post.failed" in received[0]
