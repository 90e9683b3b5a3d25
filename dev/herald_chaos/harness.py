"""The chaos run itself.

Real processes: the platform simulator (injecting 5xx, held requests that time out, 429s on
creates and reads, creates whose answer is lost and creates that land after the client gave
up), schedulers and publishers. Many users, each with an account on all four platforms,
some posting hundreds of times within minutes. While the posts come due, a scheduler or a
publisher is SIGKILLed every few seconds and started again, Redis is emptied, and every
connection to the run's database is cut with ``pg_terminate_backend`` (what a Postgres
restart does to the services, without restarting a server others share). Then the run
waits for every post to settle and counts, at the simulator, every (post, platform)
published twice, and every post lost.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import secrets
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import httpx
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from redis.asyncio import Redis

from herald_common.crypto import SecretBox, generate_key
from herald_common.settings import PlatformSettings
from herald_db.enums import Platform
from herald_db.migrate import upgrade
from herald_db.session import sync_url
from herald_devrun.infra import free_port, with_database
from herald_platform_sim.testing import SimClient, start_sim_process
from herald_platform_sim.urls import platform_env, platform_settings_kwargs
from herald_platforms.registry import get_adapter

ROOT = Path(__file__).resolve().parents[2]
PLATFORMS = [Platform.TWITTER, Platform.INSTAGRAM, Platform.LINKEDIN, Platform.FACEBOOK]
SETTLED = ("PUBLISHED", "FAILED")
POSTGRES_NOTE = (
    "Postgres restarts are simulated by terminating every backend of the chaos database "
    "(pg_terminate_backend); the shared server itself is never restarted"
)
TAG = re.compile(r"ref (c\d+x)")


def default_faults() -> dict[str, dict[str, float]]:
    one = {
        "error_rate": 0.04,
        "timeout_rate": 0.02,
        "rate_limit_rate": 0.04,
        "drop_after_create_rate": 0.03,
        "late_rate": 0.03,
        "latency_ms": 20,
        "latency_jitter_ms": 60,
        # Longer than the services' client timeout: a held request times out on our side.
        "timeout_hold_seconds": 4.5,
        # A late create lands after the client has given up on it.
        "late_delay_seconds": 4.0,
        "retry_after": 2,
    }
    return {p.value: dict(one) for p in PLATFORMS}


@dataclass
class ChaosConfig:
    users: int = 24
    posts: int = 1200
    # Users whose accounts carry heavy_share of all posts (hundreds each within minutes).
    heavy_users: int = 2
    heavy_share: float = 0.5
    # Due times are spread over this many seconds from the start.
    spread_seconds: float = 120.0
    # Kills, Redis flushes and cut connections happen during this many seconds.
    chaos_seconds: float = 150.0
    kill_every_seconds: float = 4.0
    schedulers: int = 2
    publishers: int = 2
    redis_flushes: int = 2
    postgres_cuts: int = 2
    # After the chaos, the longest wait for every post to settle.
    drain_seconds: float = 600.0
    lease_seconds: float = 10.0
    retry_delays_seconds: list[float] = field(default_factory=lambda: [2.0, 3.0, 4.0])
    http_timeout_seconds: float = 3.0
    # Longer than the client timeout plus the simulator's late landings (4 s after a
    # request arrives) with room for a loaded machine, as the setting's own rule asks.
    unknown_settle_seconds: float = 30.0
    faults: dict[str, dict[str, float]] = field(default_factory=default_faults)
    seed: int = 7
    # More settings for the services (HERALD_...), e.g. a shorter settle time.
    extra_env: dict[str, str] = field(default_factory=dict)


def progress(msg: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# -- setting up ---------------------------------------------------------------------------


async def _admin(server_url: str, sql: str) -> None:
    conn = await asyncpg.connect(sync_url(server_url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@contextmanager
def chaos_database(server_url: str) -> Iterator[tuple[str, str]]:
    """A database of the run's own on ``server_url``: (its URL, its name); dropped after."""
    name = f"herald_chaos_{uuid.uuid4().hex[:8]}"
    asyncio.run(_admin(server_url, f'CREATE DATABASE "{name}"'))
    url = with_database(server_url, name)
    try:
        upgrade(url)
        yield url, name
    finally:
        asyncio.run(_admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _connect(
    http: httpx.AsyncClient, settings: PlatformSettings, platform: Platform, login: str
) -> Any:
    """The OAuth flow against the simulator for ``login``: the adapter's grant."""
    adapter = get_adapter(platform, settings)
    verifier = secrets.token_urlsafe(48)
    url = adapter.authorize_url("chaos", "http://chaos/cb", create_s256_code_challenge(verifier))
    r = await http.get(url + f"&login_hint={login}", follow_redirects=False)
    code = parse_qs(urlsplit(r.headers["location"]).query)["code"][0]
    return await adapter.exchange_code(http, code, "http://chaos/cb", verifier)


def _content(i: int, rng: random.Random) -> str:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
    extra = ("", " & more <soon>", f" see https://example.com/p/{i}", " (#launch) @team")[i % 4]
    return f"{words.capitalize()}{extra} ref c{i:06d}x"


WORDS = (
    "launch spring update team coffee morning product release notes thanks community "
    "webinar hiring office garden weekend sale design story"
).split()


async def seed(
    db_url: str, sim_base: str, box: SecretBox, cfg: ChaosConfig, start: datetime
) -> dict[str, int]:
    """Users with an account on every platform, and the posts, due over the spread."""
    settings = PlatformSettings.model_validate(platform_settings_kwargs(sim_base))
    rng = random.Random(cfg.seed)
    conn = await asyncpg.connect(sync_url(db_url))
    users: list[uuid.UUID] = []
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            for n in range(cfg.users):
                uid = uuid.uuid4()
                users.append(uid)
                await conn.execute(
                    "INSERT INTO users (id, email, password_hash, timezone) "
                    "VALUES ($1, $2, 'x', 'UTC')",
                    uid,
                    f"chaos-{n}-{uid.hex[:6]}@example.com",
                )
                for platform in PLATFORMS:
                    grant = await _connect(http, settings, platform, f"chaos{n}")
                    await conn.execute(
                        "INSERT INTO publishing_accounts (id, user_id, platform, "
                        "external_account_id, display_name, credentials, token_expires_at, "
                        "is_active, needs_reconnect) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                        "true, false)",
                        uuid.uuid4(),
                        uid,
                        platform.value,
                        grant.external_account_id,
                        grant.display_name,
                        box.encrypt_json(grant.credentials.to_dict()),
                        grant.credentials.expires_at,
                    )
        heavy = users[: max(0, min(cfg.heavy_users, len(users)))]
        light = users[len(heavy) :] or users
        rows = []
        media = f"{sim_base}/media/photo.jpg"
        for i in range(cfg.posts):
            if heavy and rng.random() < cfg.heavy_share:
                uid = rng.choice(heavy)
            else:
                uid = rng.choice(light)
            chosen = [p.value for p in PLATFORMS if rng.random() < 0.6] or [
                rng.choice(PLATFORMS).value
            ]
            due = start + timedelta(seconds=rng.uniform(0, cfg.spread_seconds))
            rows.append(
                (
                    uid,
                    _content(i, rng),
                    [media] if "INSTAGRAM" in chosen else [],
                    chosen,
                    due,
                )
            )
        await conn.executemany(
            "INSERT INTO posts (id, user_id, content, media_urls, platforms, content_variants,"
            " scheduled_at, status, timezone) VALUES (gen_random_uuid(), $1, $2, $3, $4, '{}',"
            " $5, 'SCHEDULED', 'UTC')",
            rows,
        )
    finally:
        await conn.close()
    pairs = sum(len(r[3]) for r in rows)
    per_user = Counter(r[0] for r in rows)
    return {
        "posts": len(rows),
        "pairs": pairs,
        "accounts": len(users) * len(PLATFORMS),
        "busiest_user_posts": max(per_user.values()) if per_user else 0,
    }


# -- the services -------------------------------------------------------------------------


class Services:
    """Schedulers and publishers as OS processes, each in its own process group."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.procs: dict[str, list[subprocess.Popen[bytes]]] = {
            "herald_scheduler": [],
            "herald_publisher": [],
        }
        self.kills: Counter[str] = Counter()

    def start(self, module: str) -> subprocess.Popen[bytes]:
        env = dict(self.env)
        env["HERALD_SCHEDULER_PORT"] = env["HERALD_PUBLISHER_PORT"] = str(free_port())
        log = (self.logs / f"{module}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", module],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.procs[module].append(proc)
        return proc

    def kill_one(self, rng: random.Random) -> str:
        """SIGKILL one running scheduler or publisher and start another in its place."""
        module = rng.choice(sorted(self.procs))
        alive = [p for p in self.procs[module] if p.poll() is None]
        if alive:
            victim = rng.choice(alive)
            os.killpg(victim.pid, signal.SIGKILL)
            victim.wait(10)
            self.procs[module].remove(victim)
            self.kills[module.removeprefix("herald_")] += 1
        self.start(module)
        return module.removeprefix("herald_")

    def exited(self) -> list[int | None]:
        return [p.returncode for ps in self.procs.values() for p in ps if p.poll() is not None]

    def stop(self) -> None:
        every = [p for ps in self.procs.values() for p in ps]
        for p in every:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in every:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(5)


def service_env(
    cfg: ChaosConfig, db_url: str, redis_url: str, sim_base: str, key: str
) -> dict[str, str]:
    queue = f"herald-chaos:{uuid.uuid4().hex[:6]}"
    huge = "1000000000"
    env = dict(os.environ)
    env.update(platform_env(sim_base))
    env.update(
        {
            "HERALD_ENVIRONMENT": "dev",
            "HERALD_ENCRYPTION_KEYS": key,
            "HERALD_JWT_SECRET": secrets.token_urlsafe(48),
            "DATABASE_URL": db_url,
            "REDIS_URL": redis_url,
            "HERALD_QUEUE_NAME": queue,
            "HERALD_REDIS_PREFIX": queue,
            "HERALD_LEASE_SECONDS": str(cfg.lease_seconds),
            "HERALD_RETRY_DELAYS_SECONDS": json.dumps(cfg.retry_delays_seconds),
            "HERALD_HTTP_TIMEOUT_SECONDS": str(cfg.http_timeout_seconds),
            "HERALD_UNKNOWN_SETTLE_SECONDS": str(cfg.unknown_settle_seconds),
            "HERALD_MAX_SLEEP_SECONDS": "5",
            "HERALD_JOB_BATCH": "10",
            "HERALD_MAX_JOBS": "20",
            "HERALD_LOG_LEVEL": "WARNING",
            **{f"HERALD_RATE_LIMIT_{p.value}": f"{huge}/900" for p in PLATFORMS},
        }
    )
    env.update(cfg.extra_env)
    return env


# -- the run ------------------------------------------------------------------------------


async def _cut_postgres(server_url: str, db_name: str) -> int:
    conn = await asyncpg.connect(sync_url(server_url))
    try:
        rows = await conn.fetch(
            "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()",
            db_name,
        )
        return sum(1 for r in rows if r["done"])
    finally:
        await conn.close()


async def _status_counts(db_url: str) -> dict[str, int]:
    conn = await asyncpg.connect(sync_url(db_url))
    try:
        rows = await conn.fetch("SELECT status, count(*) AS n FROM posts GROUP BY status")
        return {r["status"]: int(r["n"]) for r in rows}
    finally:
        await conn.close()


async def _count_settled(db_url: str) -> int:
    for _ in range(5):
        try:
            counts = await _status_counts(db_url)
            return sum(counts.get(s, 0) for s in SETTLED)
        except (OSError, asyncpg.PostgresError):
            await asyncio.sleep(0.5)
    return -1


async def _published(sim: SimClient) -> list[dict[str, Any]]:
    """Everything the simulator published; a loaded simulator may drop a kept-alive
    connection, so a failed read is tried again."""
    for attempt in range(5):
        try:
            return await sim.published()
        except httpx.HTTPError:
            if attempt == 4:
                raise
            await asyncio.sleep(1.0)
    raise AssertionError("unreachable")


async def chaos_phase(
    cfg: ChaosConfig,
    services: Services,
    redis_url: str,
    server_url: str,
    db_name: str,
    db_url: str,
    sim: SimClient,
    total: int,
) -> dict[str, Any]:
    rng = random.Random(cfg.seed + 1)
    began = time.monotonic()
    flush_at = [
        cfg.chaos_seconds * (i + 1) / (cfg.redis_flushes + 1) for i in range(cfg.redis_flushes)
    ]
    cut_at = [
        cfg.chaos_seconds * (i + 0.5) / max(1, cfg.postgres_cuts) for i in range(cfg.postgres_cuts)
    ]
    next_kill = cfg.kill_every_seconds
    next_report = 0.0
    flushes = 0
    cuts: list[int] = []
    redis = Redis.from_url(redis_url)
    try:
        while (elapsed := time.monotonic() - began) < cfg.chaos_seconds:
            if elapsed >= next_kill:
                which = services.kill_one(rng)
                progress(f"  SIGKILL a {which}; started another")
                next_kill += cfg.kill_every_seconds
            if flush_at and elapsed >= flush_at[0]:
                flush_at.pop(0)
                await redis.flushdb()
                flushes += 1
                progress("  Redis emptied (FLUSHDB on the run's own database)")
            if cut_at and elapsed >= cut_at[0]:
                cut_at.pop(0)
                n = await _cut_postgres(server_url, db_name)
                cuts.append(n)
                progress(f"  Postgres: terminated all {n} backends of {db_name}")
            if elapsed >= next_report:
                settled = await _count_settled(db_url)
                sent = len(await _published(sim))
                progress(
                    f"chaos {elapsed:5.0f}/{cfg.chaos_seconds:.0f} s: {settled:,}/{total:,} "
                    f"posts settled, {sent:,} published at the simulator, "
                    f"{sum(services.kills.values())} kills"
                )
                next_report += 5.0
            await asyncio.sleep(0.2)
    finally:
        await redis.aclose()
    return {
        "seconds": round(time.monotonic() - began, 1),
        "kills": dict(services.kills),
        "redis_flushes": flushes,
        "postgres_cuts": len(cuts),
        "postgres_backends_terminated": sum(cuts),
    }


async def drain(cfg: ChaosConfig, db_url: str, total: int) -> float:
    began = time.monotonic()
    last = -2
    while True:
        settled = await _count_settled(db_url)
        if settled != last:
            progress(f"draining: {settled:,}/{total:,} posts settled")
            last = settled
        if settled == total:
            return time.monotonic() - began
        if time.monotonic() - began > cfg.drain_seconds:
            progress(f"gave up waiting after {cfg.drain_seconds:.0f} s")
            return time.monotonic() - began
        await asyncio.sleep(1.0)


async def tally(db_url: str, sim: SimClient) -> dict[str, Any]:
    """What went out twice, what was lost, how every post ended."""
    conn = await asyncpg.connect(sync_url(db_url))
    try:
        statuses = await _status_counts(db_url)
        rows = await conn.fetch(
            "SELECT p.content, p.status AS post_status, r.platform, r.status, r.error_kind, "
            "r.external_post_id FROM posts p LEFT JOIN post_platform_results r "
            "ON r.post_id = p.id"
        )
        outcomes = await conn.fetch(
            "SELECT outcome, count(*) AS n FROM publish_attempts GROUP BY outcome"
        )
    finally:
        await conn.close()
    items = await _published(sim)
    at_sim: Counter[tuple[str, str]] = Counter()
    sim_ids: dict[str, set[str]] = {}
    untagged = 0
    for item in items:
        m = TAG.search(item["text"] or "")
        if m is None:
            untagged += 1
            continue
        at_sim[(item["platform"], m.group(1))] += 1
        sim_ids.setdefault(item["platform"], set()).add(str(item["external_id"]))
    twice = sorted(f"{p}:{t}" for (p, t), n in at_sim.items() if n > 1)
    lost: list[str] = []
    failed_but_live: list[str] = []
    failed_kinds: Counter[str] = Counter()
    unsettled_posts: set[str] = set()
    for r in rows:
        tag = TAG.search(r["content"])
        key = tag.group(1) if tag else r["content"][:20]
        if r["post_status"] not in SETTLED:
            unsettled_posts.add(key)
        if r["platform"] is None:
            continue
        pair = f"{r['platform']}:{key}"
        if r["status"] == "SUCCEEDED" and str(r["external_post_id"]) not in sim_ids.get(
            r["platform"], set()
        ):
            lost.append(pair)
        if r["status"] == "FAILED":
            failed_kinds[r["error_kind"] or "?"] += 1
            if at_sim[(r["platform"], key)]:
                failed_but_live.append(pair)
    histories = await _histories(db_url, items, twice[:20] + failed_but_live[:20])
    return {
        "published_twice": len(twice),
        "published_twice_pairs": twice[:20],
        # For each pair published twice or failed but live: what the simulator holds and
        # every attempt, in order.
        "histories": histories,
        # A post that never settled, or a platform marked published that the simulator
        # never got.
        "lost": len(unsettled_posts) + len(lost),
        "unsettled_posts": len(unsettled_posts),
        "succeeded_but_missing_at_simulator": lost[:20],
        "every_post_settled": not unsettled_posts,
        "posts_by_status": statuses,
        "platform_results_failed_by_kind": dict(failed_kinds),
        "failed_but_live_at_simulator": len(failed_but_live),
        "failed_but_live_pairs": failed_but_live[:20],
        "published_at_simulator": len(items),
        "untagged_at_simulator": untagged,
        "attempts_by_outcome": {r["outcome"]: int(r["n"]) for r in outcomes},
    }


async def _histories(
    db_url: str, items: list[dict[str, Any]], pairs: list[str]
) -> dict[str, dict[str, Any]]:
    """What happened to each doubled pair: its copies at the simulator and its attempts."""
    if not pairs:
        return {}
    out: dict[str, dict[str, Any]] = {}
    conn = await asyncpg.connect(sync_url(db_url))
    try:
        for pair in pairs:
            platform, tag = pair.split(":", 1)
            copies = [
                {
                    "external_id": str(i["external_id"]),
                    "received_at": i["received_at"],
                    "request": {k: v for k, v in (i.get("request") or {}).items() if k != "text"},
                }
                for i in items
                if i["platform"] == platform and f"ref {tag}" in (i["text"] or "")
            ]
            rows = await conn.fetch(
                "SELECT a.attempt_no, a.started_at, a.finished_at, a.outcome, a.worker, "
                "a.error_message, a.external_post_id, r.status, r.error_kind, r.unknown_since, "
                "r.pending_ref, r.external_post_id AS result_id FROM publish_attempts a "
                "JOIN post_platform_results r ON r.id = a.result_id JOIN posts p "
                "ON p.id = a.post_id WHERE r.platform = $1 AND p.content LIKE $2 "
                "ORDER BY a.attempt_no, a.id",
                platform,
                f"%ref {tag}%",
            )
            out[pair] = {
                "copies": copies,
                "attempts": [
                    {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()}
                    for r in rows
                ],
            }
    finally:
        await conn.close()
    return out


def run(
    cfg: ChaosConfig,
    *,
    server_url: str,
    redis_url: str,
    logs: Path | None = None,
    on_progress: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """One chaos run against the Postgres server at ``server_url`` (a database of its own,
    dropped after) and the Redis database at ``redis_url`` (emptied during the run: it must
    be one nobody else uses)."""
    logs = logs or ROOT / ".data" / "chaos" / time.strftime("%Y%m%d-%H%M%S")
    logs.mkdir(parents=True, exist_ok=True)
    started = datetime.now(UTC)
    sim_env = {
        "seed": str(cfg.seed),
        "faults": json.dumps(cfg.faults),
        # Every second create is counted, not refused as a duplicate.
        "duplicate_window_seconds": "0",
        "x_post_limit": "1000000000",
    }
    result: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "config": {k: v for k, v in asdict(cfg).items() if k != "extra_env"},
        "extra_env": cfg.extra_env,
        "postgres_restart": POSTGRES_NOTE,
    }
    progress(f"logs of the services under {logs}")
    with (
        chaos_database(server_url) as (db_url, db_name),
        (logs / "platform_sim.log").open("ab") as sim_log,
        start_sim_process(free_port(), log=sim_log, **sim_env) as (_, sim_base),
    ):
        progress(f"database {db_name}, simulator at {sim_base}")
        result.update(
            asyncio.run(_run(cfg, db_url, db_name, server_url, redis_url, sim_base, logs))
        )
    progress(
        f"published twice: {result['published_twice']}, lost: {result['lost']}, "
        f"every post settled: {result['every_post_settled']}"
    )
    return result


async def _run(
    cfg: ChaosConfig,
    db_url: str,
    db_name: str,
    server_url: str,
    redis_url: str,
    sim_base: str,
    logs: Path,
) -> dict[str, Any]:
    key = generate_key()
    sim = SimClient(sim_base)
    try:
        # Heavy accounts post hundreds: Instagram's own daily quota would make them wait.
        await sim.set_rate_limit("INSTAGRAM", 1_000_000_000, 86400)
        start = datetime.now(UTC) + timedelta(seconds=5)
        progress(f"connecting {cfg.users * len(PLATFORMS)} accounts, writing {cfg.posts} posts")
        seeded = await seed(db_url, sim_base, SecretBox(key), cfg, start)
        progress(
            f"{seeded['posts']:,} posts, {seeded['pairs']:,} (post, platform) pairs, the "
            f"busiest user has {seeded['busiest_user_posts']} posts"
        )
        services = Services(service_env(cfg, db_url, redis_url, sim_base, key), logs)
        try:
            for _ in range(cfg.schedulers):
                services.start("herald_scheduler")
            for _ in range(cfg.publishers):
                services.start("herald_publisher")
            chaos = await chaos_phase(
                cfg, services, redis_url, server_url, db_name, db_url, sim, seeded["posts"]
            )
            drained = await drain(cfg, db_url, seeded["posts"])
        finally:
            services.stop()
        counts = await tally(db_url, sim)
    finally:
        await sim.aclose()
    return {
        **seeded,
        "chaos": chaos,
        "drain_seconds": round(drained, 1),
        **counts,
    }
