"""``make chaos``: the long chaos run; prints its result as JSON and writes
bench/results/chaos.json. Exit 1 when anything was published twice, lost, left unsettled,
or marked failed while it is live at the simulator.

Redis is emptied during the run, so it uses a Redis database number of its own
(``--redis-db``, 15 unless given) and refuses one that holds keys it did not write.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from redis.asyncio import Redis

from herald_chaos.harness import ChaosConfig, progress, run
from herald_devrun.infra import resolve_postgres, resolve_redis

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
MARKER = "herald-chaos:owner"


def redis_db_url(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


async def claim_redis_db(url: str) -> None:
    """Make sure the database is empty or a previous chaos run's, then mark it ours."""
    redis = Redis.from_url(url)
    try:
        size = await redis.dbsize()
        if size and not await redis.exists(MARKER):
            raise SystemExit(
                f"Redis database {urlsplit(url).path.lstrip('/')} holds {size} keys that are "
                "not a chaos run's; pick an unused one with --redis-db"
            )
        await redis.flushdb()
        await redis.set(MARKER, str(os.getpid()))
    finally:
        await redis.aclose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="herald_chaos", description=__doc__)
    parser.add_argument("--posts", type=int, default=1200)
    parser.add_argument("--users", type=int, default=24)
    parser.add_argument("--chaos-seconds", type=float, default=150.0)
    parser.add_argument("--spread-seconds", type=float, default=120.0)
    parser.add_argument("--kill-every", type=float, default=4.0)
    parser.add_argument("--redis-db", type=int, default=15)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for the services, e.g. HERALD_LEASE_SECONDS=10 (repeatable)",
    )
    parser.add_argument("--quick", action="store_true", help="a small run, for a smoke test")
    args = parser.parse_args(argv)
    cfg = ChaosConfig(
        posts=args.posts,
        users=args.users,
        chaos_seconds=args.chaos_seconds,
        spread_seconds=args.spread_seconds,
        kill_every_seconds=args.kill_every,
        seed=args.seed,
        extra_env=dict(e.split("=", 1) for e in args.env),
    )
    if args.quick:
        cfg.posts, cfg.users, cfg.heavy_users = 120, 6, 1
        cfg.spread_seconds, cfg.chaos_seconds = 20.0, 30.0
        cfg.redis_flushes = cfg.postgres_cuts = 1
    data = ROOT / ".data" / "chaos"
    pg = resolve_postgres(data)
    rd = resolve_redis(data)
    redis_url = redis_db_url(rd.url, args.redis_db)
    try:
        asyncio.run(claim_redis_db(redis_url))
        progress(
            f"{cfg.posts} posts, {cfg.users} users, {cfg.chaos_seconds:.0f} s of kills every "
            f"{cfg.kill_every_seconds:g} s; Redis database {args.redis_db}"
        )
        result = run(cfg, server_url=pg.url, redis_url=redis_url)
        asyncio.run(Redis.from_url(redis_url).flushdb())
    finally:
        pg.stop()
        rd.stop()
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / "chaos.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(result, indent=2, default=str))
    progress(f"wrote {path.relative_to(ROOT)}")
    ok = (
        result["published_twice"] == 0
        and result["lost"] == 0
        and result["every_post_settled"]
        and result["failed_but_live_at_simulator"] == 0
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
