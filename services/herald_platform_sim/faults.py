"""Faults on demand: latency, 5xx, held requests (timeouts), 429s, revocations, dropped answers.

A scripted fault (the next N requests of a platform answer X) wins over the random ones.
``plan`` decides before the request is handled; "drop_after_create" lets the handler create
the post and then answers 503, so the client cannot know it went through.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from herald_platform_sim.state import SimState, Token


@dataclass
class Plan:
    kind: str | None = None  # error, timeout, rate_limit, revoke, drop_after_create, usage_cap
    status: int = 503
    retry_after: float = 30.0
    hold: float = 30.0
    # Graph API answers: the error code and subcode to answer with (else a generic one).
    code: int | None = None
    subcode: int | None = None


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
                return _from_script(item.fault, f.timeout_hold_seconds)
    if action not in ("publish", "metrics"):
        return Plan()
    r = state.rng.random()
    for kind, rate in (
        ("error", f.error_rate),
        ("timeout", f.timeout_rate),
        ("rate_limit", f.rate_limit_rate),
        ("revoke", f.revoke_rate),
        ("drop_after_create", f.drop_after_create_rate if action == "publish" else 0.0),
    ):
        if r < rate:
            return Plan(kind=kind, retry_after=f.retry_after, hold=f.timeout_hold_seconds)
        r -= rate
    return Plan()


def _from_script(fault: dict[str, Any], hold: float) -> Plan:
    return Plan(
        kind=fault.get("fault", "error"),
        status=int(fault.get("status", 503)),
        retry_after=float(fault.get("retry_after", 30)),
        hold=float(fault.get("hold", hold)),
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
