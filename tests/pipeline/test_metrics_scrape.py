"""Every service's /metrics, scraped over HTTP from real processes around one publish: the
API's latency by route, the scheduler's claims and gauges, the publisher's outcomes,
lateness and webhook deliveries, the analytics service's fetches all move."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from herald_devrun.infra import free_port
from tests.conftest import API_BASE
from tests.factories import connect_via_oauth, register
from tests.pipeline.helpers import post_status
from tests.post_api.live import run_api

pytestmark = pytest.mark.slow
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
PLATFORMS = ["TWITTER", "LINKEDIN"]


async def scrape(base_url: str) -> Samples:
    async with httpx.AsyncClient() as http:
        r = await http.get(base_url + "/metrics", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    out: Samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum of ``name`` over every series whose labels include ``labels``."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


async def _until(condition: Callable[[], Awaitable[bool]], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(0.1)


class Hooks:
    """A webhook receiver on loopback that answers 204 and keeps the bodies."""

    def __init__(self) -> None:
        self.port = free_port()
        self.bodies: list[bytes] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.decode("latin-1").split("\r\n"):
            if line.lower().startswith("content-length:"):
                length = int(line.split(":", 1)[1])
        self.bodies.append(await reader.readexactly(length))
        writer.write(b"HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
        await writer.drain()
        writer.close()


async def test_each_service_metrics_move_after_a_publish(pipeline, tmp_path):
    hooks = Hooks()
    receiver = await asyncio.start_server(hooks.handle, "127.0.0.1", hooks.port)
    extra = {"HERALD_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1", "HERALD_WEBHOOK_BACKOFF_SECONDS": "[0.2]"}
    env = {**pipeline.env, **extra, "HERALD_OAUTH_REDIRECT_BASE": API_BASE}
    scheduler = pipeline.start("herald_scheduler")
    publisher = pipeline.start("herald_publisher", **extra)
    try:
        async with run_api(env, tmp_path / "api.log") as api:
            await pipeline.ready(scheduler)
            await pipeline.ready(publisher)
            urls = {
                "api": api.base_url,
                "scheduler": f"http://127.0.0.1:{scheduler.health_port}",
                "publisher": f"http://127.0.0.1:{publisher.health_port}",
            }
            before = {name: await scrape(url) for name, url in urls.items()}

            async with httpx.AsyncClient(base_url=api.base_url) as http:
                caller = await register(http)
                login = uuid.uuid4().hex[:8]
                for platform in PLATFORMS:
                    await connect_via_oauth(http, caller, platform.lower(), login=login)
                hook = await http.post(
                    "/v1/webhooks",
                    json={
                        "url": f"http://127.0.0.1:{hooks.port}/hook",
                        "event_types": ["post.published"],
                    },
                    headers=caller.headers,
                )
                assert hook.status_code == 201, hook.text
                created = await http.post(
                    "/v1/posts",
                    json={
                        "content": f"metrics {uuid.uuid4().hex}",
                        "platforms": PLATFORMS,
                        "scheduled_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
                    },
                    headers=caller.headers,
                )
                assert created.status_code == 201, created.text
                post_id = created.json()["id"]
                assert (await http.get(f"/v1/posts/{post_id}", headers=caller.headers)).is_success
                assert (
                    await http.get(f"/v1/posts/{uuid.uuid4()}", headers=caller.headers)
                ).status_code == 404

            async def published() -> bool:
                return await post_status(pipeline, post_id) == "PUBLISHED"

            async def hooked() -> bool:
                return any(post_id.encode() in body for body in hooks.bodies)

            await _until(published)
            await _until(hooked)
            after = {name: await scrape(url) for name, url in urls.items()}

        # An hour on, the analytics service reads the post's first figures.
        await pipeline.sim.advance_clock(3700)
        analytics = pipeline.start(
            "herald_analytics",
            HERALD_ANALYTICS_CLOCK_OFFSET_SECONDS="3700",
            HERALD_ANALYTICS_MAX_SLEEP_SECONDS="0.5",
        )
        await pipeline.ready(analytics)
        analytics_url = f"http://127.0.0.1:{analytics.health_port}"

        async def fetched() -> bool:
            samples = await scrape(analytics_url)
            return total(samples, "herald_analytics_fetches_total") >= len(PLATFORMS)

        await _until(fetched)
        read = await scrape(analytics_url)
    finally:
        receiver.close()
        await receiver.wait_closed()

    def moved(service: str, name: str, **labels: str) -> float:
        return total(after[service], name, **labels) - total(before[service], name, **labels)

    # The API: latency by route template, never the raw path.
    latency = "herald_http_request_duration_seconds_count"
    assert moved("api", latency, method="POST", route="/v1/posts", status="201") == 1
    assert moved("api", latency, method="GET", route="/v1/posts/{post_id}", status="200") == 1
    assert moved("api", latency, method="GET", route="/v1/posts/{post_id}", status="404") == 1
    assert moved("api", latency, method="POST", route="/v1/webhooks", status="201") == 1
    assert not any(post_id in dict(ls).get("route", "") for _, ls in after["api"])
    # The scheduler: claims, jobs and the gauges it reads at each scrape.
    assert moved("scheduler", "herald_scheduler_claimed_total", kind="posts") >= 1
    assert moved("scheduler", "herald_scheduler_jobs_enqueued_total") >= 1
    queue = pipeline.env["HERALD_QUEUE_NAME"]
    assert ("herald_arq_queue_depth", frozenset({("queue", queue)})) in after["scheduler"]
    assert ("herald_retries_pending", frozenset({("platform", "TWITTER")})) in after["scheduler"]
    # The publisher: outcomes by platform and class, lateness, webhook deliveries.
    for platform in PLATFORMS:
        assert (
            moved(
                "publisher",
                "herald_publish_outcomes_total",
                platform=platform,
                outcome="succeeded",
                failure_class="none",
            )
            == 1
        )
        assert moved("publisher", "herald_publish_lateness_seconds_count", platform=platform) == 1
        assert moved("publisher", "herald_platform_request_seconds_count", platform=platform) == 1
    assert moved("publisher", "herald_webhook_deliveries_total", outcome="delivered") >= 1
    # The analytics service: one fetch per platform at least.
    for platform in PLATFORMS:
        assert total(read, "herald_analytics_fetches_total", platform=platform) >= 1
        assert total(read, "herald_analytics_fetch_seconds_count", platform=platform) >= 1
    # Every service times its own small HTTP server too.
    for service in ("scheduler", "publisher"):
        assert total(after[service], latency, route="/metrics") >= 1
