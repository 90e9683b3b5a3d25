"""(e) best-times latency for a user with 100,000 snapshots; (f) metric fetch throughput
for 10,000 published posts due at once.

(e) A scratch database holds one user in America/New_York with 25,000 X posts read four
times each (100,000 snapshots), and 40 other users with 1,000 posts each for the
platform pattern. The post API runs in-process; ``GET /v1/analytics/best-times`` (and the
SVG, and the weekly summary) are timed over many requests, one after the other.

(f) The simulator runs as its own process, 25 accounts per platform are connected through
OAuth, and 2,500 posts per platform are published on it directly; then 10,000 published
results are recorded with their +1 h reading due now, and the analytics service (a real
process) collects them. The rate counts fetches from the service's start to the last one
stored; the simulator's request counters say how many requests it took.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from herald_bench.common import Infra, percentiles, progress, write_result
from herald_common.crypto import SecretBox
from herald_common.settings import PlatformSettings, SecretsSettings
from herald_db.enums import Platform
from herald_db.session import sync_url
from herald_devrun.infra import free_port
from herald_platform_sim.testing import start_sim_process
from herald_platform_sim.urls import platform_env, platform_settings_kwargs
from herald_platforms.base import AccountRef, PostPayload
from herald_platforms.http import make_client
from herald_platforms.registry import get_adapter
from herald_platforms.tokens import MemoryTokens

ZONE = "America/New_York"


# -- (e) best-times latency -----------------------------------------------------------------

SEED_USER_POSTS = """
WITH p AS (
    INSERT INTO posts (id, user_id, content, media_urls, platforms, content_variants,
                       scheduled_at, status, timezone)
    SELECT gen_random_uuid(), $1, 'bench', '{}', '{TWITTER}', '{}',
           now() - (g * interval '17 minutes'), 'PUBLISHED', $3
    FROM generate_series(1, $2::int) AS g
    RETURNING id, scheduled_at
)
INSERT INTO post_platform_results (id, post_id, platform, status, external_post_id, attempts,
                                   published_at)
SELECT gen_random_uuid(), p.id, 'TWITTER', 'FAILED', 'x', 1, p.scheduled_at FROM p
"""

# Readings at +1 h, +6 h, +24 h and +7 d, growing; the engagement rate depends on the
# local hour so the slots differ.
SEED_SNAPSHOTS = """
INSERT INTO analytics_snapshots (post_id, platform, likes, shares, comments, impressions,
                                 fetched_at)
SELECT r.post_id, 'TWITTER',
       (imp * (0.01 + 0.0004 * extract(hour FROM r.published_at AT TIME ZONE $2)))::bigint,
       imp / 200, imp / 300, imp, r.published_at + c.after
FROM post_platform_results AS r
JOIN posts AS p ON p.id = r.post_id AND p.user_id = $1
CROSS JOIN LATERAL (VALUES
    (interval '1 hour', 400 + (hashtext(r.id::text) & 1023)),
    (interval '6 hours', 900 + (hashtext(r.id::text) & 2047)),
    (interval '24 hours', 1500 + (hashtext(r.id::text) & 4095)),
    (interval '7 days', 2000 + (hashtext(r.id::text) & 8191))) AS c (after, imp)
"""

SEED_LATEST = """
INSERT INTO analytics_latest (result_id, post_id, user_id, platform, published_at, likes,
                              shares, comments, impressions, fetched_at)
SELECT DISTINCT ON (r.id) r.id, r.post_id, $1, 'TWITTER', r.published_at, s.likes, s.shares,
       s.comments, s.impressions, s.fetched_at
FROM post_platform_results AS r
JOIN posts AS p ON p.id = r.post_id AND p.user_id = $1
JOIN analytics_snapshots AS s ON s.post_id = r.post_id AND s.platform = r.platform
ORDER BY r.id, s.fetched_at DESC
"""


async def _seed_user(conn: asyncpg.Connection, posts: int, zone: str) -> uuid.UUID:
    uid = uuid.uuid4()
    await conn.execute(
        "INSERT INTO users (id, email, password_hash, timezone) VALUES ($1, $2, 'x', $3)",
        uid,
        f"bench-{uid.hex[:8]}@example.com",
        zone,
    )
    await conn.execute(SEED_USER_POSTS, uid, posts, zone)
    await conn.execute(SEED_SNAPSHOTS, uid, zone)
    await conn.execute(SEED_LATEST, uid)
    return uid


async def best_times_latency(infra: Infra, *, quick: bool) -> dict[str, Any]:
    from herald_db.repositories import analytics
    from herald_db.session import make_engine, make_sessionmaker, session_scope
    from herald_post_api.app import create_app
    from herald_post_api.auth.security import create_access_token
    from herald_post_api.settings import PostApiSettings

    posts = 2_500 if quick else 25_000
    others, other_posts = (10, 200) if quick else (40, 1_000)
    conn = await asyncpg.connect(sync_url(infra.database_url))
    try:
        started = time.perf_counter()
        uid = await _seed_user(conn, posts, ZONE)
        snapshots = await conn.fetchval(
            "SELECT count(*) FROM analytics_snapshots s JOIN posts p ON p.id = s.post_id "
            "WHERE p.user_id = $1",
            uid,
        )
        progress(f"(e) the user: {posts:,} posts, {snapshots:,} snapshots")
        zones = ["Europe/Paris", "Asia/Tokyo", "America/Los_Angeles", "UTC", ZONE]
        for i in range(others):
            await _seed_user(conn, other_posts, zones[i % len(zones)])
            if (i + 1) % 10 == 0:
                progress(f"(e) other users: {i + 1} / {others}")
        await conn.execute("ANALYZE")
        seed_seconds = time.perf_counter() - started
    finally:
        await conn.close()
    engine = make_engine(infra.database_url, pool_size=2)
    t0 = time.perf_counter()
    async with session_scope(make_sessionmaker(engine)) as session:
        await analytics.refresh_pattern(session, now=datetime.now(UTC))
    pattern_seconds = time.perf_counter() - t0
    await engine.dispose()
    progress(f"(e) platform pattern refreshed in {pattern_seconds:.2f} s")

    settings = PostApiSettings(
        environment="dev", database_url=infra.database_url, redis_url=infra.redis.url
    )
    app = create_app(settings)
    token = create_access_token(
        str(uid), settings.jwt_secret, now=datetime.now(UTC), ttl=settings.jwt_ttl_seconds
    )
    headers = {"authorization": f"Bearer {token}"}
    rounds = 50 if quick else 200
    out: dict[str, Any] = {
        "user_posts": posts,
        "user_snapshots": snapshots,
        "other_users": others,
        "other_posts_each": other_posts,
        "seed_seconds": round(seed_seconds, 1),
        "pattern_refresh_seconds": round(pattern_seconds, 3),
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as api:
            for name, path, params in (
                ("best_times", "/v1/analytics/best-times", {"platform": "TWITTER"}),
                ("best_times_svg", "/v1/analytics/best-times.svg", {"platform": "TWITTER"}),
                ("summary", "/v1/analytics/summary", {}),
            ):
                for _ in range(5):  # warm the pool and the plans
                    r = await api.get(path, params=params, headers=headers)
                    r.raise_for_status()
                times = []
                for _ in range(rounds):
                    t = time.perf_counter()
                    r = await api.get(path, params=params, headers=headers)
                    times.append((time.perf_counter() - t) * 1000)
                    r.raise_for_status()
                out[f"{name}_ms"] = {k: round(v, 2) for k, v in percentiles(times).items()}
                progress(
                    f"(e) {name}: p50 {statistics.median(times):.1f} ms, "
                    f"p99 {out[f'{name}_ms']['p99']:.1f} ms over {rounds} requests"
                )
            top = (
                await api.get(
                    "/v1/analytics/best-times", params={"platform": "TWITTER"}, headers=headers
                )
            ).json()["top"]
            out["top"] = [f"{t['day']} {t['hour']:02d}:00" for t in top]
    return out


# -- (f) fetch throughput -------------------------------------------------------------------

PLATFORMS = [Platform.TWITTER, Platform.INSTAGRAM, Platform.FACEBOOK, Platform.LINKEDIN]


async def _connect(
    conn: asyncpg.Connection, settings: PlatformSettings, uid: uuid.UUID, accounts: int
) -> dict[Platform, list[tuple[uuid.UUID, AccountRef]]]:
    import secrets
    from urllib.parse import parse_qs, urlsplit

    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    box = SecretBox(SecretsSettings().encryption_keys)
    out: dict[Platform, list[tuple[uuid.UUID, AccountRef]]] = {p: [] for p in PLATFORMS}
    async with httpx.AsyncClient() as http:
        for platform in PLATFORMS:
            adapter = get_adapter(platform, settings)
            for n in range(accounts):
                verifier = secrets.token_urlsafe(48)
                url = adapter.authorize_url(
                    "bench", "http://bench/cb", create_s256_code_challenge(verifier)
                )
                r = await http.get(url + f"&login_hint=bench{n}", follow_redirects=False)
                code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
                grant = await adapter.exchange_code(http, code, "http://bench/cb", verifier)
                aid = uuid.uuid4()
                await conn.execute(
                    "INSERT INTO publishing_accounts (id, user_id, platform, external_account_id,"
                    " display_name, credentials, token_expires_at, is_active, needs_reconnect)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, true, false)",
                    aid,
                    uid,
                    platform.value,
                    grant.external_account_id,
                    grant.display_name,
                    box.encrypt_json(grant.credentials.to_dict()),
                    grant.credentials.expires_at,
                )
                out[platform].append(
                    (aid, AccountRef(grant.external_account_id, MemoryTokens(grant.credentials)))
                )
    return out


async def _publish_all(
    settings: PlatformSettings,
    accounts: dict[Platform, list[tuple[uuid.UUID, AccountRef]]],
    per_platform: int,
    media_url: str,
) -> list[tuple[Platform, uuid.UUID, str]]:
    sem = asyncio.Semaphore(100)
    done = 0
    total = per_platform * len(PLATFORMS)
    async with make_client(settings, max_connections=200) as http:

        async def one(platform: Platform, i: int) -> tuple[Platform, uuid.UUID, str]:
            nonlocal done
            aid, ref = accounts[platform][i % len(accounts[platform])]
            media = [media_url] if platform is Platform.INSTAGRAM else []
            async with sem:
                res = await get_adapter(platform, settings).publish(
                    http, ref, PostPayload(text=f"bench {platform.value} {i}", media_urls=media)
                )
            done += 1
            if done % 1000 == 0:
                progress(f"(f) published on the simulator: {done:,} / {total:,}")
            return platform, aid, res.external_post_id

        return list(
            await asyncio.gather(*(one(p, i) for p in PLATFORMS for i in range(per_platform)))
        )


async def fetch_throughput(infra: Infra, *, quick: bool) -> dict[str, Any]:
    per_platform = 250 if quick else 2_500
    accounts_each = 5 if quick else 25
    latency_ms = 100
    with start_sim_process() as (sim_proc, sim_base):
        settings = PlatformSettings.model_validate(platform_settings_kwargs(sim_base))
        async with httpx.AsyncClient(base_url=sim_base) as admin:
            await admin.put(
                "/_sim/rate_limits",
                json={
                    "TWITTER": {"limit": 10**9, "window": 900},
                    "INSTAGRAM": {"limit": 10**9, "window": 86400},
                },
            )
        conn = await asyncpg.connect(sync_url(infra.database_url))
        try:
            uid = uuid.uuid4()
            await conn.execute(
                "INSERT INTO users (id, email, password_hash, timezone) "
                "VALUES ($1, $2, 'x', 'UTC')",
                uid,
                f"fetch-{uid.hex[:8]}@example.com",
            )
            accounts = await _connect(conn, settings, uid, accounts_each)
            progress(f"(f) {accounts_each} accounts per platform connected")
            published = await _publish_all(
                settings, accounts, per_platform, f"{sim_base}/media/a.jpg"
            )
            at = datetime.now(UTC) - timedelta(hours=1, minutes=1)
            rows = [(uuid.uuid4(), p, aid, ext) for p, aid, ext in published]
            await conn.executemany(
                "INSERT INTO posts (id, user_id, content, media_urls, platforms, "
                "content_variants, scheduled_at, status, timezone) "
                "VALUES ($1, $2, 'bench', '{}', ARRAY[$3::varchar], '{}', $4, 'PUBLISHED', 'UTC')",
                [(pid, uid, p.value, at) for pid, p, _, _ in rows],
            )
            await conn.executemany(
                "INSERT INTO post_platform_results (id, post_id, platform, account_id, status, "
                "external_post_id, attempts, published_at) "
                "VALUES (gen_random_uuid(), $1, $2, $3, 'SUCCEEDED', $4, 1, $5)",
                [(pid, p.value, aid, ext, at) for pid, p, aid, ext in rows],
            )
            due = await conn.fetchval(
                "SELECT count(*) FROM analytics_fetches WHERE status = 'PENDING' "
                "AND next_at <= now()"
            )
            progress(f"(f) {due:,} fetches due at once")
            async with httpx.AsyncClient(base_url=sim_base) as admin:
                await admin.put(
                    "/_sim/faults",
                    json={p.value: {"latency_ms": latency_ms} for p in PLATFORMS},
                )
                before = (await admin.get("/_sim/requests")).json()
            port = free_port()
            env = dict(os.environ)
            env.update(platform_env(sim_base))
            env.update(
                {
                    "HERALD_ENVIRONMENT": "dev",
                    "DATABASE_URL": infra.database_url,
                    "REDIS_URL": infra.redis.url,
                    "HERALD_REDIS_PREFIX": f"bench-{uid.hex[:8]}",
                    "HERALD_ANALYTICS_PORT": str(port),
                    "HERALD_LOG_LEVEL": "WARNING",
                    **{f"HERALD_METRICS_RATE_LIMIT_{p.value}": "1000000/900" for p in PLATFORMS},
                }
            )
            started = time.monotonic()
            # Popen returns at once; the wait below is asynchronous.
            proc = subprocess.Popen([sys.executable, "-m", "herald_analytics"], env=env)  # noqa: ASYNC220
            try:
                last = -1
                while True:
                    left = await conn.fetchval(
                        "SELECT count(*) FROM analytics_fetches WHERE status = 'PENDING' "
                        "AND next_at <= now() + interval '10 minutes' AND checkpoint = '1h'"
                    )
                    if left != last:
                        progress(f"(f) {due - left:,} / {due:,} fetches stored")
                        last = left
                    if left == 0:
                        break
                    if proc.poll() is not None:
                        raise RuntimeError("the analytics service exited")
                    if time.monotonic() - started > 600:
                        raise TimeoutError(f"{left} fetches still open after 600 s")
                    await asyncio.sleep(0.25)
                seconds = time.monotonic() - started
            finally:
                proc.terminate()
                proc.wait(15)
            async with httpx.AsyncClient(base_url=sim_base) as admin:
                after = (await admin.get("/_sim/requests")).json()
            outcomes = dict(
                await conn.fetch(
                    "SELECT status, count(*) FROM analytics_fetches WHERE checkpoint = '1h' "
                    "GROUP BY status"
                )
            )
        finally:
            await conn.close()
        requests = {
            p: {
                k: v - before.get(p, {}).get(k, 0)
                for k, v in after.get(p, {}).items()
                if v - before.get(p, {}).get(k, 0)
            }
            for p in after
        }
        result = {
            "posts": due,
            "accounts_per_platform": accounts_each,
            "simulator_latency_ms": latency_ms,
            "seconds": round(seconds, 2),
            "fetches_per_second": round(due / seconds, 1),
            "outcomes": {str(k): int(v) for k, v in outcomes.items()},
            "simulator_requests": requests,
            "note": "seconds include the service's start-up",
        }
        progress(f"(f) {due:,} fetches in {seconds:.1f} s: {due / seconds:,.0f} per second")
        del sim_proc
        return result


def run(infra: Infra, only: list[str], *, quick: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "besttimes" in only:
        out["best_times"] = asyncio.run(best_times_latency(infra, quick=quick))
        write_result("best_times", out["best_times"])
    if "fetch" in only:
        out["fetch"] = asyncio.run(fetch_throughput(infra, quick=quick))
        write_result("fetch", out["fetch"])
    return out
