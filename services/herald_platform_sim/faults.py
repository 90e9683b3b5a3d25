"""Faults on demand: latency, 5xx, held requests (timeouts), 429s, revocations, dropped answers
and creates that land late.

A scripted fault (the next N requests of a platform and action answer X) wins over the
random ones. ``plan`` decides before the request is handled. Each platform says the faults
in its own words through an :class:`Answers`; the handlers then call ``before`` (errors,
throttles and holds that come before any work) and, for a create, ``create``:

- ``drop_after_create``: the post is created, then the answer is a 5xx, so the client
  cannot know it went through;
- ``late``: the post is created ``delay`` seconds after the request arrived, whatever became
  of the connection; the answer comes after ``hold`` seconds (a gateway timeout if the post
  has not landed by then). A client whose timeout is shorter sees a timeout, and the post
  still appears afterwards, as a platform that was slow to process it would do.
- ``timeout``: the request is held ``hold`` seconds and then handled as usual;
- ``usage_cap`` (X): the monthly usage cap's 429.

Actions: ``publish`` (creates), ``media`` (uploads, containers), ``read`` (timelines and
lists), ``metrics``, ``oauth``. Random faults apply to publish, read and metrics.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from herald_platform_sim.state import SimState, Token

KINDS = ("error", "timeout", "rate_limit", "revoke", "drop_after_create", "late", "usage_cap")


@dataclass
class Plan:
    kind: str | None = None  # one of KINDS, or None
    status: int = 503
    retry_after: float = 30.0
    hold: float = 30.0
    delay: float = 5.0  # late: seconds from arrival until the create lands
    # Graph API answers: the error code and subcode to answer with (else a generic one).
    code: int | None = None
    subcode: int | None = None


@dataclass(frozen=True)
class Answers:
    """One platform's words for each fault."""

    error: Callable[[Plan], Response]
    rate_limit: Callable[[Plan], Response]
    # The answer to a create whose outcome the client cannot know (dropped, or still held).
    unknown: Callable[[Plan], Response]


async def plan(state: SimState, platform: str, action: str) -> Plan:
    state.requests[platform][action] += 1
    f = state.faults[platform]
    if f.latency_ms or f.latency_jitter_ms:
        delay = f.latency_ms + state.rng.random() * f.latency_jitter_ms
        await asyncio.sleep(delay / 1000)
    queue = state.scripts.get(platform)
    if queue:
        for item in list(queue):
            if item.action in (action, "any"):
                queue.remove(item)
                return _from_script(item.fault, f.timeout_hold_seconds, f.late_delay_seconds)
    if action not in ("publish", "read", "metrics"):
        return Plan()
    creates = action == "publish"
    r = state.rng.random()
    for kind, rate in (
        ("error", f.error_rate),
        ("timeout", f.timeout_rate),
        ("rate_limit", f.rate_limit_rate),
        ("revoke", f.revoke_rate if action != "read" else 0.0),
        ("drop_after_create", f.drop_after_create_rate if creates else 0.0),
        ("late", f.late_rate if creates else 0.0),
    ):
        if r < rate:
            return Plan(
                kind=kind,
                retry_after=f.retry_after,
                hold=f.timeout_hold_seconds,
                delay=f.late_delay_seconds,
            )
        r -= rate
    return Plan()


def _from_script(fault: dict[str, Any], hold: float, delay: float) -> Plan:
    kind = fault.get("fault", "error")
    if kind not in KINDS:
        raise ValueError(f"unknown fault {kind!r}; one of {', '.join(KINDS)}")
    return Plan(
        kind=kind,
        status=int(fault.get("status", 503)),
        retry_after=float(fault.get("retry_after", 30)),
        hold=float(fault.get("hold", hold)),
        delay=float(fault.get("delay", delay)),
        code=fault.get("code"),
        subcode=fault.get("subcode"),
    )


async def hold(p: Plan) -> None:
    """Keep the request open past the client's timeout."""
    await asyncio.sleep(p.hold)


def survives(state: SimState, p: Plan, platform: str, token: Token | None) -> Token | None:
    """The caller's token after this request's faults: a revoke fault revokes it first."""
    if p.kind == "revoke" and token is not None:
        state.revoke_account(platform, token.account.login)
        return None
    return token


async def before(p: Plan, answers: Answers) -> Response | None:
    """The answer of a fault that comes before any work, or None to go on (after a hold)."""
    if p.kind == "timeout":
        await hold(p)
    if p.kind == "error":
        return answers.error(p)
    if p.kind == "rate_limit":
        return answers.rate_limit(p)
    return None


async def create(
    state: SimState, p: Plan, answers: Answers, commit: Callable[[], Response]
) -> Response:
    """Run ``commit`` (the work that makes a post exist, and its answer) as the plan says."""
    if p.kind == "late":

        async def land() -> Response:
            await asyncio.sleep(p.delay)
            return commit()

        task = asyncio.create_task(land())
        state.background.add(task)
        task.add_done_callback(state.background.discard)
        done, _ = await asyncio.wait({task}, timeout=p.hold)
        return task.result() if done else answers.unknown(p)
    response = commit()
    if p.kind == "drop_after_create" and response.status_code < 300:
        return answers.unknown(p)
    return response
