"""(g) The post API under load, against a minimal FastAPI app doing the same database work.

The API runs as ``python -m herald_post_api`` (its production entry point: one uvicorn
worker, no reload, no access log, production secrets) on the scratch database; users are
registered and logged in through it. Closed-loop clients (each sends its next request when
the last one answered) cycle through ``POST /v1/posts`` (a draft on one platform),
``GET /v1/posts``, ``GET /v1/posts/{id}`` and ``GET /v1/me`` for a fixed time; every
request's latency is kept, and the API process's resident memory is sampled throughout.
The reference (``herald_bench.refapp``) answers the same four requests with raw asyncpg
under the same uvicorn settings and is measured the same way, in the same run; the figure
that matters is Herald's requests/s over the reference's.
"""

from __future__ import annotations

import asyncio
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import asyncpg
import httpx
import psutil
from cryptography.fernet import Fernet

from herald_bench.common import Infra, percentiles, progress
from herald_db.session import sync_url
from herald_devrun.infra import free_port

OPS = ("create", "list", "get", "me")
# Each client goes round its workload's requests in order, from its own starting point.
WORKLOADS = {"mixed": OPS, "create": ("create",)}
SEED_POSTS = 20
TARGET_RATIO = 0.6
TARGET_P99_MS = 100.0


@dataclass
class Caller:
    id: str
    token: str
    post_ids: list[str] = field(default_factory=list)

    @property
    def headers(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


@contextmanager
def serve(module: str, env: dict[str, str]) -> Iterator[tuple[str, int]]:
    """Start ``python -m module`` on a free port; yields (base URL, pid) once it is ready."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", module], env={**env, "HERALD_API_PORT": str(port)}
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{module} did not start")
            time.sleep(0.2)
        yield base, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def register_users(base: str, n: int) -> list[Caller]:
    """Users made and logged in through the API (a few at a time: Argon2 is slow by design)."""
    gate = asyncio.Semaphore(4)
    tag = uuid.uuid4().hex[:6]

    async def one(http: httpx.AsyncClient, i: int) -> Caller:
        email, password = f"bench-{tag}-{i}@example.com", secrets.token_urlsafe(16)
        async with gate:
            r = await http.post(
                "/v1/auth/register",
                json={"email": email, "password": password, "timezone": "Europe/Paris"},
            )
            r.raise_for_status()
            uid = r.json()["id"]
            t = await http.post("/v1/auth/token", data={"username": email, "password": password})
            t.raise_for_status()
        return Caller(uid, t.json()["access_token"])

    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        return list(await asyncio.gather(*(one(http, i) for i in range(n))))


async def seed_posts(database_url: str, callers: list[Caller]) -> None:
    """A few drafts per user, so the first reads find something."""
    conn = await asyncpg.connect(sync_url(database_url))
    try:
        for c in callers:
            rows = await conn.fetch(
                "INSERT INTO posts (id, user_id, content, media_urls, platforms, "
                "content_variants, status) "
                "SELECT gen_random_uuid(), $1, 'seed ' || g, '{}', '{LINKEDIN}', '{}', 'DRAFT' "
                "FROM generate_series(1, $2) AS g RETURNING id",
                uuid.UUID(c.id),
                SEED_POSTS,
            )
            c.post_ids = [str(r["id"]) for r in rows]
        await conn.execute("ANALYZE posts")
    finally:
        await conn.close()


class Recorder:
    def __init__(self) -> None:
        self.latency_ms: dict[str, list[float]] = {op: [] for op in OPS}
        self.errors: dict[str, int] = {op: 0 for op in OPS}
        self.error_samples: list[str] = []

    @property
    def done(self) -> int:
        return sum(len(v) for v in self.latency_ms.values())

    def error(self, op: str, what: str) -> None:
        self.errors[op] += 1
        if len(self.error_samples) < 10:
            self.error_samples.append(f"{op}: {what}")


async def client_loop(
    http: aiohttp.ClientSession,
    base: str,
    caller: Caller,
    rec: Recorder,
    deadline: float,
    start: int,
    ops: tuple[str, ...],
) -> None:
    n = start
    rng = random.Random(start)
    while time.perf_counter() < deadline:
        op = ops[n % len(ops)]
        n += 1
        if op == "create":
            method, url, body, ok = "POST", "/v1/posts", _draft(n), 201
        elif op == "list":
            method, url, body, ok = "GET", "/v1/posts", None, 200
        elif op == "get":
            pid = caller.post_ids[-1 - rng.randrange(min(len(caller.post_ids), 50))]
            method, url, body, ok = "GET", f"/v1/posts/{pid}", None, 200
        else:
            method, url, body, ok = "GET", "/v1/me", None, 200
        t0 = time.perf_counter()
        try:
            async with http.request(method, base + url, json=body, headers=caller.headers) as r:
                data = await r.read()
                status = r.status
        except (aiohttp.ClientError, TimeoutError) as exc:
            rec.error(op, repr(exc))
            continue
        elapsed = (time.perf_counter() - t0) * 1000
        if status != ok:
            rec.error(op, f"{status} {data[:200]!r}")
            continue
        rec.latency_ms[op].append(elapsed)
        if op == "create":
            caller.post_ids.append(_id_of(data))


def _draft(n: int) -> dict[str, Any]:
    return {"content": f"Load test draft {n}: hello from the benchmark", "platforms": ["LINKEDIN"]}


def _id_of(data: bytes) -> str:
    # The id is the body's first field; no need to parse the whole answer for it.
    head = data[:80].decode()
    i = head.index('"id":"') + 6
    return head[i : i + 36]


async def sample_rss(
    pid: int, out: list[tuple[float, float]], t0: float, stop: asyncio.Event
) -> None:
    proc = psutil.Process(pid)
    while not stop.is_set():
        out.append((round(time.perf_counter() - t0, 1), proc.memory_info().rss / 2**20))
        try:
            await asyncio.wait_for(stop.wait(), 1.0)
        except TimeoutError:
            pass


async def load(
    name: str,
    base: str,
    pid: int,
    callers: list[Caller],
    clients: int,
    seconds: float,
    workload: str,
) -> dict[str, Any]:
    ops = WORKLOADS[workload]
    rec = Recorder()
    rss: list[tuple[float, float]] = []
    stop = asyncio.Event()
    connector = aiohttp.TCPConnector(limit=clients, force_close=False)
    timeout = aiohttp.ClientTimeout(total=30)
    server = psutil.Process(pid)
    cpu0 = server.cpu_times()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        t0 = time.perf_counter()
        deadline = t0 + seconds
        sampler = asyncio.create_task(sample_rss(pid, rss, t0, stop))
        tasks = [
            asyncio.create_task(
                client_loop(http, base, callers[i % len(callers)], rec, deadline, i, ops)
            )
            for i in range(clients)
        ]
        last, last_t = 0, t0
        while not all(t.done() for t in tasks):
            await asyncio.wait(tasks, timeout=5)
            now = time.perf_counter()
            done = rec.done
            progress(
                f"(g) {name}, {workload}, {clients} clients: {now - t0:5.1f}/{seconds:.0f} s, "
                f"{done:,} requests, {(done - last) / (now - last_t):,.0f}/s now, "
                f"{sum(rec.errors.values())} errors, RSS {rss[-1][1]:.0f} MiB"
            )
            last, last_t = done, now
        elapsed = time.perf_counter() - t0
        for t in tasks:
            t.result()
        stop.set()
        await sampler
    cpu1 = server.cpu_times()
    every = [v for op in OPS for v in rec.latency_ms[op]]
    # CPU the server spent per answered request: steadier than requests/s on a shared
    # machine, where other work takes cores away from both targets at random.
    cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    per_op = {
        op: {
            "requests": len(rec.latency_ms[op]),
            "requests_per_second": round(len(rec.latency_ms[op]) / elapsed, 1),
            "errors": rec.errors[op],
            "latency_ms": _rounded(percentiles(rec.latency_ms[op])),
        }
        for op in ops
    }
    return {
        "target": name,
        "workload": workload,
        "clients": clients,
        "seconds": round(elapsed, 2),
        "requests": len(every),
        "requests_per_second": round(len(every) / elapsed, 1),
        "errors": sum(rec.errors.values()),
        "error_samples": rec.error_samples,
        "server_cpu_ms_per_request": round(cpu_s * 1000 / len(every), 3) if every else None,
        "latency_ms": _rounded(percentiles(every)),
        "per_endpoint": per_op,
        "rss_mib": _memory(rss),
    }


def _rounded(d: dict[str, float]) -> dict[str, float]:
    return {k: (v if k == "count" else round(v, 2)) for k, v in d.items()}


def _memory(samples: list[tuple[float, float]]) -> dict[str, Any]:
    """Resident memory over the run; "growth" compares the last fifth with the second."""
    values = [v for _, v in samples]
    if len(values) < 5:
        return {"samples": samples}
    fifth = max(1, len(values) // 5)
    early = statistics.median(values[fifth : 2 * fifth])
    late = statistics.median(values[-fifth:])
    return {
        "start": round(values[0], 1),
        "max": round(max(values), 1),
        "end": round(values[-1], 1),
        "growth_second_to_last_fifth": round(late - early, 1),
        "samples": [(t, round(v, 1)) for t, v in samples],
    }


def run(infra: Infra, *, quick: bool = False, rounds: int = 1) -> dict[str, Any]:
    # (workload, clients, seconds): the mixed load at 100 clients, then at 50 for the p99
    # target, then creates alone (the reference's own work) at 50.
    plan = [
        ("mixed", 100, 10.0 if quick else 60.0),
        ("mixed", 50, 5.0 if quick else 20.0),
        ("create", 50, 5.0 if quick else 15.0),
    ]
    users = 20 if quick else 100
    env = dict(os.environ)
    env.update(
        {
            "HERALD_ENVIRONMENT": "production",
            "DATABASE_URL": infra.database_url,
            "REDIS_URL": infra.redis.url,
            "HERALD_REDIS_PREFIX": f"herald-bench:{uuid.uuid4().hex[:6]}",
            "HERALD_JWT_SECRET": secrets.token_urlsafe(48),
            "HERALD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        }
    )
    phases: list[dict[str, Any]] = []
    with serve("herald_post_api", env) as (herald, herald_pid):
        progress(f"(g) registering {users} users")
        callers = asyncio.run(register_users(herald, users))
        asyncio.run(seed_posts(infra.database_url, callers))
        with serve("herald_bench.refapp", env) as (ref, ref_pid):
            targets = {"herald": (herald, herald_pid), "reference": (ref, ref_pid)}
            for r in range(rounds):
                for workload, n, secs in plan:
                    for name, (base, pid) in targets.items():
                        progress(
                            f"(g) round {r + 1}/{rounds}: {name}, {workload}, {n} clients, "
                            f"{secs:.0f} s"
                        )
                        result = asyncio.run(load(name, base, pid, callers, n, secs, workload))
                        result["round"] = r + 1
                        phases.append(result)
    return summarise(phases, [(w, n) for w, n, _ in plan])


def summarise(phases: list[dict[str, Any]], plan: list[tuple[str, int]]) -> dict[str, Any]:
    """Medians over rounds, per (workload, clients), with Herald over the reference."""

    def pick(target: str, workload: str, n: int) -> list[dict[str, Any]]:
        return [
            p
            for p in phases
            if p["target"] == target and p["workload"] == workload and p["clients"] == n
        ]

    def med(values: list[float]) -> float:
        return round(statistics.median(values), 2)

    summary: dict[str, Any] = {}
    for workload, n in plan:
        h, ref = pick("herald", workload, n), pick("reference", workload, n)
        ratios = [
            a["requests_per_second"] / b["requests_per_second"] for a, b in zip(h, ref, strict=True)
        ]
        summary[f"{workload}_{n}_clients"] = {
            "herald_requests_per_second": med([p["requests_per_second"] for p in h]),
            "reference_requests_per_second": med([p["requests_per_second"] for p in ref]),
            "ratio": round(statistics.median(ratios), 3),
            "herald_p50_ms": med([p["latency_ms"]["p50"] for p in h]),
            "herald_p90_ms": med([p["latency_ms"]["p90"] for p in h]),
            "herald_p99_ms": med([p["latency_ms"]["p99"] for p in h]),
            "reference_p50_ms": med([p["latency_ms"]["p50"] for p in ref]),
            "reference_p99_ms": med([p["latency_ms"]["p99"] for p in ref]),
            "herald_cpu_ms_per_request": med([p["server_cpu_ms_per_request"] for p in h]),
            "reference_cpu_ms_per_request": med([p["server_cpu_ms_per_request"] for p in ref]),
            "cpu_ratio": round(
                statistics.median(
                    [
                        b["server_cpu_ms_per_request"] / a["server_cpu_ms_per_request"]
                        for a, b in zip(h, ref, strict=True)
                    ]
                ),
                3,
            ),
            "herald_p99_ms_per_endpoint": {
                op: med([p["per_endpoint"][op]["latency_ms"]["p99"] for p in h])
                for op in WORKLOADS[workload]
            },
            "herald_errors": sum(p["errors"] for p in h),
            "reference_errors": sum(p["errors"] for p in ref),
            "herald_rss_mib_max": max(p["rss_mib"].get("max", 0) for p in h),
            "herald_rss_growth_mib": [p["rss_mib"].get("growth_second_to_last_fifth") for p in h],
        }
    main = summary["mixed_100_clients"]
    p99 = summary["mixed_50_clients"]
    return {
        "workload": "closed-loop clients; mixed: each goes round POST /v1/posts (a draft on "
        "one platform), GET /v1/posts, GET /v1/posts/{id}, GET /v1/me; create: POST only",
        "summary": summary,
        "targets": {
            "min_ratio": TARGET_RATIO,
            "max_p99_ms_at_50_clients": TARGET_P99_MS,
            "ratio_met": main["ratio"] >= TARGET_RATIO,
            "p99_met": p99["herald_p99_ms"] < TARGET_P99_MS,
            "no_errors": all(v["herald_errors"] == 0 for v in summary.values()),
        },
        "phases": phases,
    }
