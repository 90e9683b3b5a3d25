"""Run the simulator: ``python -m herald_platform_sim --port 8100 [--seed N] [--faults JSON]``."""

from __future__ import annotations

import argparse

import uvicorn

from herald_platform_sim.app import create_app
from herald_platform_sim.settings import SimSettings


def main() -> None:
    parser = argparse.ArgumentParser(prog="herald_platform_sim")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--faults", help='JSON, e.g. {"TWITTER": {"latency_ms": 100}}')
    args = parser.parse_args()
    overrides = {k: v for k, v in vars(args).items() if v is not None}
    settings = SimSettings(**overrides)
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        access_log=False,
        log_level="warning",
        loop="uvloop",
        http="httptools",
        backlog=4096,
    )


if __name__ == "__main__":
    main()
