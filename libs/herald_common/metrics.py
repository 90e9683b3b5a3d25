"""Prometheus metrics the services export at /metrics.

Every name Herald exports is defined here, once, so the services, the Grafana dashboard
(``deploy/grafana/herald.json``) and the operations guide (``docs/operations.md``) agree.
Each process exports the families it moves; the others read zero.

Labels stay bounded: ``route`` is the route's template (``/v1/posts/{post_id}``), never
the raw path; ``platform`` is one of the four platforms; the ``outcome`` and
``failure_class`` values are the lower-cased enum values listed beside each metric.
"""

from __future__ import annotations

import time

from prometheus_client import Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# -- HTTP (post API; the other services' small health servers too) ------------------------

HTTP_SECONDS = Histogram(
    "herald_http_request_duration_seconds",
    "Time to answer one HTTP request, by route template",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
# Requests that matched no route (404s, scanners) share one label value, and so do methods
# outside HTTP's usual few.
UNMATCHED_ROUTE = "<unmatched>"
_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}

# -- scheduler ----------------------------------------------------------------------------

CLAIMED = Counter(
    "herald_scheduler_claimed_total",
    "Items the scheduler handed to the publisher; kind: posts, retries, leases",
    ["kind"],
)
JOBS_ENQUEUED = Counter("herald_scheduler_jobs_enqueued_total", "arq jobs enqueued")
RETRIES_PENDING = Gauge(
    "herald_retries_pending",
    "Platform results waiting to be retried (RETRY_WAIT), read when scraped",
    ["platform"],
)
QUEUE_DEPTH = Gauge(
    "herald_arq_queue_depth", "Jobs waiting in the arq queue, read when scraped", ["queue"]
)

# -- publisher ----------------------------------------------------------------------------

ATTEMPTS = Counter(
    "herald_publish_attempts_total",
    "Platform attempts by what the attempt itself ended in (the AttemptOutcome values)",
    ["platform", "outcome"],
)
OUTCOMES = Counter(
    "herald_publish_outcomes_total",
    "What each platform attempt meant for its result. outcome: succeeded, retry, failed; "
    "failure_class: none, transient, rate_limited, unknown, auth, permanent",
    ["platform", "outcome", "failure_class"],
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
WEBHOOK_DELIVERIES = Counter(
    "herald_webhook_deliveries_total",
    "Webhook delivery attempts. outcome: delivered, retry, failed, endpoint_disabled",
    ["outcome"],
)

# -- analytics ----------------------------------------------------------------------------

ANALYTICS_FETCHES = Counter(
    "herald_analytics_fetches_total",
    "Metric fetches from the platforms, one per post and platform. outcome: succeeded, "
    "or a failure class: transient, rate_limited, auth, permanent",
    ["platform", "outcome"],
)
ANALYTICS_FETCH_SECONDS = Histogram(
    "herald_analytics_fetch_seconds",
    "Time one metrics request (a batch of posts) took",
    ["platform"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)

# Every family name above, for the dashboard and deploy checks.
NAMES = (
    "herald_http_request_duration_seconds",
    "herald_scheduler_claimed_total",
    "herald_scheduler_jobs_enqueued_total",
    "herald_retries_pending",
    "herald_arq_queue_depth",
    "herald_publish_attempts_total",
    "herald_publish_outcomes_total",
    "herald_publish_lateness_seconds",
    "herald_platform_request_seconds",
    "herald_webhook_deliveries_total",
    "herald_analytics_fetches_total",
    "herald_analytics_fetch_seconds",
)


def outcome_labels(status: str, failure_class: str | None) -> tuple[str, str]:
    """``(outcome, failure_class)`` of :data:`OUTCOMES` for a result status and error kind."""
    outcome = {"succeeded": "succeeded", "retry_wait": "retry"}.get(status.lower(), "failed")
    return outcome, (failure_class or "none").lower()


class HttpMetrics:
    """ASGI middleware timing each HTTP request into :data:`HTTP_SECONDS`.

    The route label is the template of the route that answered (Starlette and FastAPI leave
    it in the scope once routing is done), so ``/v1/posts/1`` and ``/v1/posts/2`` share one
    series. Added last, it is the outermost middleware the app has: an answer another
    middleware makes (413, CORS preflight) is timed too, and an exception no handler turned
    into an answer counts as a 500.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            method = scope.get("method", "GET")
            HTTP_SECONDS.labels(
                method if method in _METHODS else "OTHER", route_template(scope), str(status)
            ).observe(time.perf_counter() - started)


def route_template(scope: Scope) -> str:
    """The template of the route that took the request (``/v1/posts/{post_id}``).

    Starlette and FastAPI leave the route in the scope once routing is done; before, or
    for a request no route took, :data:`UNMATCHED_ROUTE`.
    """
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return str(template) if template else UNMATCHED_ROUTE
