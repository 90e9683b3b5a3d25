"""A short chaos run (``make chaos`` is the long one): schedulers and publishers SIGKILLed
every few seconds, Redis emptied, every connection to the database cut, the simulator
failing on purpose; nothing goes out twice, nothing is lost, every post settles."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from herald_chaos.harness import ChaosConfig, run
from herald_devrun.infra import start_embedded_redis

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_chaos_publishes_nothing_twice_and_loses_nothing(servers, tmp_path):
    pg, _ = servers
    # A Redis of this test's own: the run empties it.
    redis = start_embedded_redis(ROOT / ".data" / "test" / f"redis-chaos-{uuid.uuid4().hex[:6]}")
    cfg = ChaosConfig(
        users=6,
        posts=80,
        heavy_users=1,
        heavy_share=0.5,
        spread_seconds=10.0,
        chaos_seconds=20.0,
        kill_every_seconds=3.0,
        redis_flushes=1,
        postgres_cuts=1,
        drain_seconds=240.0,
        lease_seconds=6.0,
        unknown_settle_seconds=10.0,
    )
    try:
        result = run(cfg, server_url=pg.url, redis_url=redis.url, logs=tmp_path)
    finally:
        redis.stop()
    assert result["posts"] == 80
    assert sum(result["chaos"]["kills"].values()) >= 4
    assert result["chaos"]["redis_flushes"] == 1
    assert result["chaos"]["postgres_backends_terminated"] > 0
    assert result["published_at_simulator"] > 0
    assert result["published_twice"] == 0, result["published_twice_pairs"]
    assert result["lost"] == 0, result["succeeded_but_missing_at_simulator"]
    assert result["every_post_settled"]
    # Nothing the platform holds is reported to its user as failed.
    assert result["failed_but_live_at_simulator"] == 0, result["histories"]
