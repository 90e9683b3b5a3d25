"""``make bench``: run the benchmarks and write bench/results/*.json (and plots)."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import platform
import time
from typing import Any

from herald_bench import claim
from herald_bench.common import progress, scratch_infra, write_result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="herald_bench")
    parser.add_argument(
        "only",
        nargs="*",
        default=["api", "steady", "burst", "limit", "claim", "besttimes", "fetch"],
        help="which benchmarks: steady (a), burst (b), limit (c), claim (d), besttimes (e), "
        "fetch (f), api (g: the post API under load against a minimal reference); worst "
        "(another user's latency while the worst inputs are sent) runs only when named",
    )
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--embedded", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=1, help="api: measure this many times, report medians"
    )
    args = parser.parse_args(argv)
    meta: dict[str, Any] = {
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "quick": args.quick,
    }
    results: dict[str, Any] = {"meta": meta}
    with scratch_infra(args.embedded) as infra:
        if "api" in args.only:
            api = importlib.import_module("herald_bench.api")
            results["api"] = api.run(infra, quick=args.quick, rounds=args.rounds)
            write_result("api", results["api"])
        if "claim" in args.only:
            results["claim"] = asyncio.run(claim.bench(infra, quick=args.quick))
            write_result("claim", results["claim"])
        if {"steady", "burst", "limit"} & set(args.only):
            pipeline = importlib.import_module("herald_bench.pipeline")
            results.update(pipeline.run(infra, args.only, quick=args.quick))
        if "worst" in args.only:
            worst = importlib.import_module("herald_bench.worst")
            results["worst"] = worst.run(infra, quick=args.quick)
        if {"besttimes", "fetch"} & set(args.only):
            analytics = importlib.import_module("herald_bench.analytics")
            results.update(analytics.run(infra, args.only, quick=args.quick))
    write_result("summary", results)
    progress("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
