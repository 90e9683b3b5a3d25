"""Prometheus metrics the services export at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

CLAIMED = Counter(
    "herald_scheduler_claimed_total", "Items the scheduler handed to the publisher", ["kind"]
)
JOBS_ENQUEUED = Counter("herald_scheduler_jobs_enqueued_total", "arq jobs enqueued")
ATTEMPTS = Counter(
    "herald_publish_attempts_total", "Platform attempts by outcome", ["platform", "outcome"]
)
LATENESS = Histogram(
    "herald_publish_lateness_seconds",
    "scheduled_at to the first platform request",
    ["platform"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300),
)
PLATFORM_SECONDS = Histogram(
    "herald_platform_request_seconds",
    "Time a platform took to answer one attempt",
    ["platform"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
