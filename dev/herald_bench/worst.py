"""The worst inputs we know, sent at the largest size the API takes, while another user works.

``requests()`` are the inputs: each must be refused (413 or 422; a batch answers 200 with
every row refused) without holding the API. ``attack()`` sends them over and over from
several connections at once; ``victim()`` meanwhile makes an ordinary user's calls and
times them. The worst-input test asserts on the answers only; ``make bench
BENCH_ARGS=worst`` reports the victim's latency (bench/results/worst.json).
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

from herald_bench.common import Infra, percentiles, progress, write_result
from herald_devrun.infra import free_port

MAX_BODY = 1024 * 1024
MAX_CONTENT = 100_000
PASSWORD = "worst inputs passphrase"


@dataclass(frozen=True)
class Bad:
    name: str
    method: str
    path: str
    body: bytes
    content_type: str = "application/json"
    # Statuses that count as refused; a batch answers 200 with each row refused.
    refused: tuple[int, ...] = (413, 422)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _post(content: str, **extra: Any) -> dict[str, Any]:
    return {"content": content, "platforms": ["TWITTER"], **extra}


def requests() -> list[Bad]:
    """Each worst input at the largest size the API reads."""
    dotted = "a." * (MAX_CONTENT // 2)  # twitter-text's quadratic case
    hosts = "a.co." * (MAX_CONTENT // 5)  # one host name of 100,000 characters
    accents = "a.é" * (MAX_CONTENT // 3)  # a top-level domain test at every dot
    cjk = "a.中" * (MAX_CONTENT // 3)  # 中 starts the 中文网 and 中信 domains
    families = "👨\u200d" * (MAX_CONTENT // 2)  # an emoji sequence starting everywhere
    nested = "[" * 200_000 + "]" * 200_000
    out = [
        Bad("dotted-text", "POST", "/v1/posts", _json(_post(dotted))),
        Bad("one-huge-host", "POST", "/v1/posts", _json(_post(hosts))),
        Bad("accented-dots", "POST", "/v1/posts", _json(_post(accents))),
        Bad("cjk-dots", "POST", "/v1/posts", _json(_post(cjk))),
        Bad("emoji-sequences", "POST", "/v1/posts", _json(_post(families))),
        Bad(
            "dotted-variant",
            "POST",
            "/v1/posts",
            _json(
                _post("x", platforms=["TWITTER", "LINKEDIN"], content_variants={"TWITTER": dotted})
            ),
        ),
        Bad("content-over-limit", "POST", "/v1/posts", _json(_post("x" * (MAX_CONTENT + 1)))),
        Bad("body-over-limit", "POST", "/v1/posts", _json(_post("x" * MAX_BODY))),
        Bad("deep-nesting", "POST", "/v1/posts", nested.encode(), refused=(400, 413, 422)),
        Bad(
            "huge-json",
            "POST",
            "/v1/posts",
            _json({**_post("x"), "extra": list(range(120_000))}),
        ),
        Bad(
            "many-platforms",
            "POST",
            "/v1/posts",
            _json({"content": "x", "platforms": ["TWITTER"] * 90_000}),
        ),
        Bad("long-zone", "POST", "/v1/posts", _json(_post("x", timezone="Z" * 900_000))),
        Bad(
            "long-zone-profile",
            "PATCH",
            "/v1/me",
            _json({"timezone": "Europe/" + "x" * 900_000}),
        ),
        Bad(
            "year-zero",
            "POST",
            "/v1/posts",
            _json(_post("x", scheduled_at="0001-01-01T00:00:00+01:00")),
        ),
        Bad("nul-deep-in-body", "POST", "/v1/posts", _json(_post("x" * 900_000 + "\x00"))),
        Bad(
            "batch-of-dotted-rows",
            "POST",
            "/v1/posts/batch",
            _json({"posts": [_post("a." * 900) for _ in range(500)]}),
            refused=(200, 413, 422),
        ),
        Bad(
            "csv-of-dotted-rows",
            "POST",
            "/v1/posts/import",
            (
                "content,platforms\n" + "".join(f"{'a.' * 900},TWITTER\n" for _ in range(500))
            ).encode(),
            content_type="text/csv",
            refused=(200, 413, 422),
        ),
    ]
    return out


@dataclass
class Tally:
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    sent: int = 0


def _all_rows_refused(response: httpx.Response) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return bool(body.get("results")) and body.get("created") == 0


async def attack(base_url: str, headers: dict[str, str], *, rounds: int, connections: int) -> Tally:
    """Every bad request ``rounds`` times, from ``connections`` clients at once."""
    tally = Tally()
    bad = requests()
    queue: asyncio.Queue[Bad] = asyncio.Queue()
    for _ in range(rounds):
        for item in bad:
            queue.put_nowait(item)

    async def worker() -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=120) as http:
            while not queue.empty():
                item = queue.get_nowait()
                r = await http.request(
                    item.method,
                    item.path,
                    content=item.body,
                    headers={**headers, "content-type": item.content_type},
                )
                tally.sent += 1
                tally.statuses[(item.name, r.status_code)] += 1
                ok = r.status_code in item.refused
                if ok and r.status_code == 200:
                    ok = _all_rows_refused(r)
                if not ok:
                    tally.wrong.append(f"{item.name}: {r.status_code} {r.text[:200]}")

    await asyncio.gather(*(worker() for _ in range(connections)))
    return tally


@dataclass
class Victim:
    latencies: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


async def victim(base_url: str, headers: dict[str, str], stop: asyncio.Event) -> Victim:
    """An ordinary user's calls, one after another, until ``stop``: read the profile, list
    posts, create a small draft."""
    seen = Victim()
    calls = [
        ("GET", "/v1/me", None, 200),
        ("GET", "/v1/posts?limit=20", None, 200),
        ("POST", "/v1/posts", {"content": "A short post", "platforms": ["LINKEDIN"]}, 201),
    ]
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        i = 0
        while not stop.is_set():
            method, path, body, expected = calls[i % len(calls)]
            i += 1
            started = time.perf_counter()
            r = await http.request(method, path, json=body, headers=headers)
            seen.latencies.append((time.perf_counter() - started) * 1000)
            if r.status_code != expected:
                seen.failures.append(f"{method} {path}: {r.status_code} {r.text[:200]}")
    return seen


async def register(base_url: str) -> tuple[uuid.UUID, dict[str, str]]:
    email = f"worst-{uuid.uuid4().hex[:12]}@example.com"
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as http:
        r = await http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        r.raise_for_status()
        t = await http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
        t.raise_for_status()
        return uuid.UUID(r.json()["id"]), {"Authorization": f"Bearer {t.json()['access_token']}"}


async def scenario(base_url: str, *, rounds: int, connections: int) -> tuple[Tally, Victim]:
    """The attack and the victim at once; the victim stops when the attack ends."""
    _, attacker = await register(base_url)
    _, user = await register(base_url)
    stop = asyncio.Event()
    watching = asyncio.create_task(victim(base_url, user, stop))
    try:
        tally = await attack(base_url, attacker, rounds=rounds, connections=connections)
    finally:
        stop.set()
    return tally, await watching


# --- make bench BENCH_ARGS=worst ----------------------------------------------------------


@contextmanager
def _api(infra: Infra) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": infra.database_url,
        "REDIS_URL": infra.redis.url,
        "HERALD_ENVIRONMENT": "dev",
        "HERALD_REDIS_PREFIX": f"herald-bench-{infra.db_name}",
        "HERALD_API_HOST": "127.0.0.1",
        "HERALD_API_PORT": str(port),
        "HERALD_LOG_LEVEL": "WARNING",
    }
    proc = subprocess.Popen([sys.executable, "-m", "herald_post_api"], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the API did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def run(infra: Infra, *, quick: bool = False) -> dict[str, Any]:
    rounds, connections = (2, 2) if quick else (6, 4)
    with _api(infra) as base:

        async def baseline() -> Victim:
            _, user = await register(base)
            stop = asyncio.Event()
            task = asyncio.create_task(victim(base, user, stop))
            await asyncio.sleep(5 if quick else 15)
            stop.set()
            return await task

        progress("worst: the victim alone")
        alone = asyncio.run(baseline())
        progress(
            f"worst: {len(requests())} worst inputs x {rounds} rounds from {connections} "
            "connections, the victim meanwhile"
        )
        started = time.perf_counter()
        tally, seen = asyncio.run(scenario(base, rounds=rounds, connections=connections))
        took = time.perf_counter() - started
    during = percentiles(seen.latencies)
    result: dict[str, Any] = {
        "inputs": [b.name for b in requests()],
        "rounds": rounds,
        "connections": connections,
        "attack_seconds": round(took, 2),
        "bad_requests_sent": tally.sent,
        "bad_requests_not_refused": tally.wrong,
        "statuses": {f"{name} {status}": n for (name, status), n in sorted(tally.statuses.items())},
        "victim_alone_ms": percentiles(alone.latencies),
        "victim_during_attack_ms": during,
        "victim_failures": seen.failures,
        "target_p99_ms": 100,
    }
    p99 = during.get("p99", float("nan"))
    progress(f"worst: victim p99 {p99:.1f} ms during the attack ({len(seen.latencies)} calls)")
    write_result("worst", result)
    return result
