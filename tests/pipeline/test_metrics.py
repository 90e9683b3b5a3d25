"""The pipeline's Prometheus metrics move with the work: claims, outcomes by platform and
failure class, lateness, retries pending and the queue's depth."""

from __future__ import annotations

from prometheus_client import REGISTRY

from tests.pipeline.helpers import post_status, schedule, user_with_accounts


def _value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_retried_publish_moves_outcomes_lateness_claims_and_gauges(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER", "LINKEDIN"])
    before = {
        "x_retry": _value(
            "herald_publish_outcomes_total",
            platform="TWITTER",
            outcome="retry",
            failure_class="rate_limited",
        ),
        "x_ok": _value(
            "herald_publish_outcomes_total",
            platform="TWITTER",
            outcome="succeeded",
            failure_class="none",
        ),
        "li_ok": _value(
            "herald_publish_outcomes_total",
            platform="LINKEDIN",
            outcome="succeeded",
            failure_class="none",
        ),
        "late": _value("herald_publish_lateness_seconds_count", platform="LINKEDIN"),
        "posts": _value("herald_scheduler_claimed_total", kind="posts"),
        "retries": _value("herald_scheduler_claimed_total", kind="retries"),
        "jobs": _value("herald_scheduler_jobs_enqueued_total"),
    }
    await pipeline.sim.script("TWITTER", [{"fault": "rate_limit", "retry_after": 30}])
    pid = await schedule(pipeline, caller, seconds=0.3, platforms=["TWITTER", "LINKEDIN"])
    queue = pipeline.scheduler_settings.queue_name

    # Claimed and queued, not yet worked: the queue holds the job.
    scheduler = pipeline.scheduler()

    async def claimed() -> bool:
        return await scheduler.run_once() > 0

    await pipeline.until(claimed, step=False)
    await scheduler.refresh_gauges()
    assert _value("herald_arq_queue_depth", queue=queue) == 1

    # Worked: X was rate limited and waits to retry.
    await pipeline.work()
    await scheduler.refresh_gauges()
    assert _value("herald_arq_queue_depth", queue=queue) == 0
    assert _value("herald_retries_pending", platform="TWITTER") >= 1

    # The platform asked for 30 s: move the pipeline's clock past it.
    pipeline.clock.advance(60)

    async def published() -> bool:
        return await post_status(pipeline, pid) == "PUBLISHED"

    await pipeline.until(published)
    after = {
        "x_retry": _value(
            "herald_publish_outcomes_total",
            platform="TWITTER",
            outcome="retry",
            failure_class="rate_limited",
        ),
        "x_ok": _value(
            "herald_publish_outcomes_total",
            platform="TWITTER",
            outcome="succeeded",
            failure_class="none",
        ),
        "li_ok": _value(
            "herald_publish_outcomes_total",
            platform="LINKEDIN",
            outcome="succeeded",
            failure_class="none",
        ),
        "late": _value("herald_publish_lateness_seconds_count", platform="LINKEDIN"),
        "posts": _value("herald_scheduler_claimed_total", kind="posts"),
        "retries": _value("herald_scheduler_claimed_total", kind="retries"),
        "jobs": _value("herald_scheduler_jobs_enqueued_total"),
    }
    moved = {k: after[k] - before[k] for k in before}
    assert moved["x_retry"] == 1
    assert moved["x_ok"] == 1
    assert moved["li_ok"] == 1
    assert moved["late"] == 1  # lateness is observed on the first attempt only
    assert moved["posts"] >= 1
    assert moved["retries"] >= 1
    assert moved["jobs"] >= 2
