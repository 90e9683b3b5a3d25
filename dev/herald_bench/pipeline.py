"""(a) steady load, (b) a burst, (c) the limit: the pipeline against the simulator.

Real processes: the platform simulator (about 100 ms per request), a scheduler and the
publishers. (c) is a bare asyncio client sending the same requests to the same simulator,
with no database or queue, once per httpx transport, so the ratio (b)/(c) says how much
of the simulator's capacity the pipeline turns into published posts.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx

from herald_bench.common import RESULTS, Infra, percentiles, progress, write_result
from herald_common.crypto import SecretBox
from herald_common.settings import PlatformSettings, SecretsSettings
from herald_db.enums import Platform
from herald_db.session import sync_url
from herald_devrun.infra import free_port
from herald_platform_sim.testing import start_sim_process
from herald_platform_sim.urls import platform_env, platform_settings_kwargs
from herald_platforms.http import make_client
from herald_platforms.registry import get_adapter

PLATFORMS = [Platform.TWITTER, Platform.LINKEDIN]
LATENCY_MS = 100


async def connect_accounts(db_url: str, sim_base: str) -> uuid.UUID:
    settings = PlatformSettings.model_validate(platform_settings_kwargs(sim_base))
    box = SecretBox(SecretsSettings().encryption_keys)
    conn = await asyncpg.connect(sync_url(db_url))
    uid = uuid.uuid4()
    try:
        await conn.execute(
            "INSERT INTO users (id, email, password_hash, timezone) VALUES ($1, $2, 'x', 'UTC')",
            uid,
            f"bench-{uid.hex[:8]}@example.com",
        )
        async with httpx.AsyncClient() as http:
            for platform in PLATFORMS:
                adapter = get_adapter(platform, settings)
                verifier = secrets.token_urlsafe(48)
                from authlib.oauth2.rfc7636 import create_s256_code_challenge

                url = adapter.authorize_url(
                    "bench", "http://bench/cb", create_s256_code_challenge(verifier)
                )
                r = await http.get(url + "&login_hint=bench", follow_redirects=False)
                code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
                grant = await adapter.exchange_code(http, code, "http://bench/cb", verifier)
                await conn.execute(
                    "INSERT INTO publishing_accounts (id, user_id, platform, external_account_id,"
                    " display_name, credentials, token_expires_at, is_active, needs_reconnect)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, true, false)",
                    uuid.uuid4(),
                    uid,
                    platform.value,
                    grant.external_account_id,
                    grant.display_name,
                    box.encrypt_json(grant.credentials.to_dict()),
                    grant.credentials.expires_at,
                )
    finally:
        await conn.close()
    return uid


async def insert_posts(db_url: str, uid: uuid.UUID, tag: str, times: list[datetime]) -> None:
    conn = await asyncpg.connect(sync_url(db_url))
    try:
        await conn.executemany(
            "INSERT INTO posts (id, user_id, content, media_urls, platforms, content_variants,"
            " scheduled_at, status, timezone)"
            " VALUES (gen_random_uuid(), $1, $2, '{}', $3, '{}', $4, 'SCHEDULED', 'UTC')",
            [(uid, f"{tag} #{i}", [p.value for p in PLATFORMS], t) for i, t in enumerate(times)],
        )
    finally:
        await conn.close()


async def wait_settled(db_url: str, tag: str, total: int, limit: float) -> float:
    conn = await asyncpg.connect(sync_url(db_url))
    start = time.monotonic()
    last = -1
    try:
        while True:
            left = await conn.fetchval(
                "SELECT count(*) FROM posts WHERE content LIKE $1 AND status NOT IN "
                "('PUBLISHED', 'FAILED')",
                f"{tag} %",
            )
            if left != last:
                progress(f"  {total - left:,} / {total:,} posts settled")
                last = left
            if left == 0:
                return time.monotonic() - start
            if time.monotonic() - start > limit:
                raise TimeoutError(f"{left} posts still open after {limit} s")
            await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def collect(db_url: str, tag: str) -> dict[str, Any]:
    conn = await asyncpg.connect(sync_url(db_url))
    try:
        late = await conn.fetch(
            "SELECT a.lateness_ms FROM publish_attempts a JOIN posts p ON p.id = a.post_id "
            "WHERE p.content LIKE $1 AND a.attempt_no = 1 AND a.lateness_ms IS NOT NULL",
            f"{tag} %",
        )
        first_per_post = await conn.fetch(
            "SELECT min(a.lateness_ms) AS l FROM publish_attempts a JOIN posts p "
            "ON p.id = a.post_id WHERE p.content LIKE $1 GROUP BY a.post_id",
            f"{tag} %",
        )
        span = await conn.fetchrow(
            "SELECT min(p.scheduled_at) AS due, max(r.published_at) AS last_done, "
            "count(*) FILTER (WHERE p.status = 'PUBLISHED') AS published, "
            "count(*) FILTER (WHERE p.status = 'FAILED') AS failed "
            "FROM posts p JOIN post_platform_results r ON r.post_id = p.id "
            "WHERE p.content LIKE $1",
            f"{tag} %",
        )
        outcomes = await conn.fetch(
            "SELECT a.outcome, count(*) FROM publish_attempts a JOIN posts p "
            "ON p.id = a.post_id WHERE p.content LIKE $1 GROUP BY a.outcome",
            f"{tag} %",
        )
    finally:
        await conn.close()
    return {
        "lateness_s": [r["lateness_ms"] / 1000 for r in late],
        "first_request_lateness_s": [r["l"] / 1000 for r in first_per_post],
        "due": span["due"],
        "last_done": span["last_done"],
        "outcomes": {r["outcome"]: r["count"] for r in outcomes},
    }


class Services:
    def __init__(self, infra: Infra, sim_base: str, publishers: int, transport: str) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []
        queue = f"herald-bench:{uuid.uuid4().hex[:6]}"
        env = dict(os.environ)
        env.update(platform_env(sim_base))
        env.update(
            {
                "HERALD_ENVIRONMENT": "dev",
                "DATABASE_URL": infra.database_url,
                "REDIS_URL": infra.redis.url,
                "HERALD_QUEUE_NAME": queue,
                "HERALD_REDIS_PREFIX": queue,
                "HERALD_RATE_LIMIT_TWITTER": "100000000/900",
                "HERALD_RATE_LIMIT_LINKEDIN": "100000000/900",
                "HERALD_HTTP_TRANSPORT": transport,
                "HERALD_LOG_LEVEL": "WARNING",
            }
        )
        self.env = env
        self.publishers = publishers

    def __enter__(self) -> Services:
        for module, count in (("herald_publisher", self.publishers), ("herald_scheduler", 1)):
            for _ in range(count):
                env = dict(self.env)
                port = str(free_port())
                env["HERALD_PUBLISHER_PORT"] = env["HERALD_SCHEDULER_PORT"] = port
                proc = subprocess.Popen([sys.executable, "-m", module], env=env)
                proc.port = port  # type: ignore[attr-defined]
                self.procs.append(proc)
        for proc in self.procs:
            deadline = time.monotonic() + 30
            while True:
                try:
                    url = f"http://127.0.0.1:{proc.port}/readyz"  # type: ignore[attr-defined]
                    if httpx.get(url, timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("a service did not start")
                time.sleep(0.1)
        return self

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()


async def steady(
    infra: Infra, sim_base: str, uid: uuid.UUID, *, seconds: int, rate: float, transport: str
) -> dict[str, Any]:
    tag = f"steady-{uuid.uuid4().hex[:6]}"
    n = int(seconds * rate)
    start = datetime.now(UTC) + timedelta(seconds=3)
    times = [start + timedelta(seconds=i / rate) for i in range(n)]
    with Services(infra, sim_base, publishers=1, transport=transport):
        await insert_posts(infra.database_url, uid, tag, times)
        progress(f"(a) {n} posts due over {seconds} s")
        await wait_settled(infra.database_url, tag, n, seconds + 120)
    data = await collect(infra.database_url, tag)
    return {
        "posts": n,
        "platforms": [p.value for p in PLATFORMS],
        "spread_seconds": seconds,
        "lateness": percentiles(data["first_request_lateness_s"]),
        "lateness_every_request": percentiles(data["lateness_s"]),
        "outcomes": data["outcomes"],
        "_samples": data["first_request_lateness_s"],
    }


async def burst(
    infra: Infra, sim_base: str, uid: uuid.UUID, *, posts: int, publishers: int, transport: str
) -> dict[str, Any]:
    tag = f"burst-{uuid.uuid4().hex[:6]}"
    due = datetime.now(UTC) + timedelta(seconds=5)
    with Services(infra, sim_base, publishers=publishers, transport=transport):
        progress(f"(b) inserting {posts:,} posts due at the same second")
        await insert_posts(infra.database_url, uid, tag, [due] * posts)
        wait = (due - datetime.now(UTC)).total_seconds()
        if wait > 0:
            await asyncio.sleep(wait)
        await wait_settled(infra.database_url, tag, posts, 600)
    data = await collect(infra.database_url, tag)
    drain = (data["last_done"] - data["due"]).total_seconds()
    requests = sum(data["outcomes"].values())
    return {
        "posts": posts,
        "platforms": [p.value for p in PLATFORMS],
        "publishers": publishers,
        "drain_seconds": round(drain, 2),
        "posts_per_second": round(posts / drain, 1),
        "requests_per_second": round(requests / drain, 1),
        "lateness": percentiles(data["first_request_lateness_s"]),
        "outcomes": data["outcomes"],
        "_samples": data["first_request_lateness_s"],
    }


async def limit(
    sim_base: str, *, requests: int, concurrency: int, transport: str
) -> dict[str, Any]:
    settings = PlatformSettings.model_validate(platform_settings_kwargs(sim_base))
    # Fresh accounts so the simulator's duplicate check sees new texts.
    async with httpx.AsyncClient() as http:
        adapter = get_adapter(Platform.LINKEDIN, settings)
        r = await http.get(
            adapter.authorize_url("s", "http://bench/cb", None)
            + f"&login_hint=limit-{uuid.uuid4().hex[:6]}",
            follow_redirects=False,
        )
        code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
        grant = await adapter.exchange_code(http, code, "http://bench/cb", None)
    headers = {
        "authorization": f"Bearer {grant.credentials.access_token}",
        "linkedin-version": settings.linkedin_version,
    }
    author = f"urn:li:person:{grant.external_account_id}"
    url = settings.linkedin_api_base + "/rest/posts"
    client = make_client(settings, max_connections=concurrency, transport=transport)
    sem = asyncio.Semaphore(concurrency)
    errors: dict[str, int] = {}
    tag = uuid.uuid4().hex[:6]

    async def one(i: int) -> None:
        async with sem:
            try:
                resp = await client.post(
                    url,
                    headers=headers,
                    json={
                        "author": author,
                        "commentary": f"limit {tag} {i}",
                        "visibility": "PUBLIC",
                        "distribution": {"feedDistribution": "MAIN_FEED"},
                        "lifecycleState": "PUBLISHED",
                    },
                )
                if resp.status_code != 201:
                    errors[str(resp.status_code)] = errors.get(str(resp.status_code), 0) + 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1

    t0 = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(requests)))
    elapsed = time.perf_counter() - t0
    await client.aclose()
    return {
        "transport": transport,
        "requests": requests,
        "concurrency": concurrency,
        "seconds": round(elapsed, 2),
        "requests_per_second": round(requests / elapsed, 1),
        "errors": errors,
    }


def plot(results: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, title in ((axes[0], "steady", "(a) steady load"), (axes[1], "burst", "(b) burst")):
        samples = sorted(results.get(key, {}).get("_samples", []))
        if not samples:
            ax.set_visible(False)
            continue
        ys = [(i + 1) / len(samples) for i in range(len(samples))]
        ax.plot(samples, ys)
        ax.set_xlabel("lateness: scheduled_at to first platform request (s)")
        ax.set_ylabel("share of posts")
        p = results[key]["lateness"]
        ax.set_title(f"{title}: p50 {p['p50']:.3f} s, p99 {p['p99']:.3f} s")
        ax.grid(True, alpha=0.3)
    fig.tight_layout()
    RESULTS.mkdir(parents=True, exist_ok=True)
    fig.savefig(RESULTS / "lateness.png", dpi=110)
    progress(f"wrote {RESULTS / 'lateness.png'}")


def run(infra: Infra, only: list[str], *, quick: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {}
    port = free_port()
    faults = json.dumps({p.value: {"latency_ms": LATENCY_MS} for p in PLATFORMS})
    with start_sim_process(port, faults=faults, x_post_limit="1000000000") as (_, sim_base):
        uid = asyncio.run(connect_accounts(infra.database_url, sim_base))
        transport = os.environ.get("HERALD_HTTP_TRANSPORT", "aiohttp")
        if "limit" in only:
            out["limit"] = {}
            for t in ("aiohttp", "httpx"):
                # httpx's own transport manages about 100 requests/s here: fewer requests.
                n = (4000 if quick else 20_000) if t == "aiohttp" else (1000 if quick else 5000)
                progress(f"(c) bare client, {t} transport: {n:,} requests at 1,000 concurrent")
                out["limit"][t] = asyncio.run(
                    limit(sim_base, requests=n, concurrency=1000, transport=t)
                )
                progress(f"(c) {t}: {out['limit'][t]['requests_per_second']} requests/s")
            write_result("limit", out["limit"])
        if "steady" in only:
            out["steady"] = asyncio.run(
                steady(
                    infra, sim_base, uid, seconds=20 if quick else 60, rate=10, transport=transport
                )
            )
            progress(f"(a) lateness {out['steady']['lateness']}")
            write_result("steady", {k: v for k, v in out["steady"].items() if k != "_samples"})
        if "burst" in only:
            out["burst"] = asyncio.run(
                burst(
                    infra,
                    sim_base,
                    uid,
                    posts=2000 if quick else 10_000,
                    publishers=2,
                    transport=transport,
                )
            )
            progress(f"(b) drained in {out['burst']['drain_seconds']} s")
            write_result("burst", {k: v for k, v in out["burst"].items() if k != "_samples"})
    if "burst" in out and "limit" in out:
        best = out["limit"].get(transport, {}).get("requests_per_second")
        if best:
            out["ratio_burst_to_limit"] = round(out["burst"]["requests_per_second"] / best, 3)
    plot(out)
    for key in ("steady", "burst"):
        if key in out:
            out[key].pop("_samples", None)
    return out
