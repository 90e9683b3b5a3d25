"""What Facebook and Instagram share on Meta's Graph API: the error envelope, token and
permission checks, throttling answers and the faults' words.

Throttling answers HTTP 400 with codes 4/32/80001/80002, not 429; a missing permission
answers code 10 (or 200 for Pages), HTTP 403.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from starlette.responses import Response

from herald_platform_sim import faults
from herald_platform_sim.common import graph_error
from herald_platform_sim.state import SimState, Token

VERSION = re.compile(r"^v\d+\.\d+$")
LONG_LIVED = 5183944.0


def strip_version(parts: list[str]) -> list[str]:
    return parts[1:] if parts and VERSION.match(parts[0]) else parts


def token(st: SimState, value: str | None, kinds: tuple[str, ...]) -> Token | None:
    return st.check(value, kinds)


def invalid_token() -> Response:
    return graph_error(
        "Error validating access token: The session has been invalidated.",
        190,
        subcode=460,
        status=400,
    )


def missing_permission(platform: str, *scopes: str) -> Response:
    if platform == "FACEBOOK":
        return graph_error(
            f"(#200) Requires {' and '.join(scopes)} permission to manage the object",
            200,
            status=403,
        )
    return graph_error("(#10) Application does not have permission for this action", 10, status=403)


def throttle(platform: str) -> Response:
    code = 80002 if platform == "INSTAGRAM" else 80001
    usage = json.dumps(
        {
            "sim": [
                {
                    "type": platform.lower(),
                    "call_count": 100,
                    "total_cputime": 30,
                    "total_time": 30,
                    "estimated_time_to_regain_access": 1,
                }
            ]
        }
    )
    return graph_error(
        f"(#{code}) There have been too many calls to this account. Wait a bit and try again.",
        code,
        headers={"X-Business-Use-Case-Usage": usage},
    )


# Messages of the Graph errors a script may ask for by code/subcode, as Meta words them.
MESSAGES = {
    (4, 2207051): "We restrict certain activity to protect our community. Let us know if "
    "you think that we made a mistake.",
    (4, None): "(#4) Application request limit reached",
}


def scripted_error(plan: faults.Plan) -> Response:
    """A Graph error: the scripted code and subcode, or a generic "unexpected error" (2)."""
    if plan.code is None:
        return graph_error(
            "An unexpected error has occurred. Please retry your request later.",
            2,
            status=plan.status,
        )
    message = MESSAGES.get((plan.code, plan.subcode)) or MESSAGES.get(
        (plan.code, None), f"(#{plan.code}) Error"
    )
    return graph_error(message, plan.code, subcode=plan.subcode, status=plan.status)


def _unknown(plan: faults.Plan) -> Response:
    # Published, yet the answer is an error: a generic 500, or the scripted one (e.g.
    # 4/2207051, "restricted activity", which may come after the media went out).
    if plan.kind == "drop_after_create" and plan.code is not None:
        return scripted_error(plan)
    return graph_error("An unexpected error has occurred.", 2, status=500)


def answers(platform: str) -> faults.Answers:
    return faults.Answers(
        error=scripted_error,
        rate_limit=lambda p: throttle(platform),
        unknown=_unknown,
    )


def iso(ts: float) -> str:
    """Graph's timestamps: ``2026-11-25T18:04:01+0000``."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def plain(p: dict[str, Any]) -> dict[str, Any]:
    """A request's parameters without the token and raw bytes, for inspection."""
    return {k: v for k, v in p.items() if k != "access_token" and not isinstance(v, bytes)}
