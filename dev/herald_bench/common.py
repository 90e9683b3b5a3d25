"""Shared pieces of the benchmarks: a scratch database, progress lines, result files."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from herald_db.migrate import upgrade
from herald_db.session import sync_url
from herald_devrun.infra import Server, resolve_postgres, resolve_redis, with_database

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"


def progress(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class Infra:
    pg: Server
    redis: Server
    database_url: str
    db_name: str


@contextmanager
def scratch_infra(embedded: bool = False) -> Iterator[Infra]:
    data = ROOT / ".data" / "bench"
    pg = resolve_postgres(data, embedded=embedded)
    rd = resolve_redis(data, embedded=embedded)
    name = f"herald_bench_{uuid.uuid4().hex[:8]}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(sync_url(pg.url))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    url = with_database(pg.url, name)
    try:
        progress(f"scratch database {name}: migrating")
        upgrade(url)
        yield Infra(pg, rd, url, name)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        pg.stop()
        rd.stop()


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)

    def pct(p: float) -> float:
        k = min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))
        return ordered[k]

    return {
        "count": len(ordered),
        "min": ordered[0],
        "p50": pct(50),
        "p90": pct(90),
        "p99": pct(99),
        "max": ordered[-1],
        "mean": statistics.fmean(ordered),
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    progress(f"wrote {path.relative_to(ROOT)}")
    return path
