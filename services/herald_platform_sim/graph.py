"""What Facebook and Instagram share on Meta's Graph API: the error envelope, token and
permission checks, throttling answers and the faults' words.

Throttling answers HTTP 400 with codes 4/32/80001/80002, not 429; a missing permission
answers code 10 (or 200 for Pages), HTTP 403.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from starlette.responses import Response

from herald_platform_sim import faults
from herald_platform_sim.common import graph_error, json_response
from herald_platform_sim.state import Published, SimState, Token

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


def fields(p: dict[str, Any], default: str) -> set[str]:
    """The fields a Graph read asked for (``fields=id,caption``), else the edge's default."""
    return {f.strip() for f in str(p.get("fields") or default).split(",") if f.strip()}


def cursor(external_id: str) -> str:
    return base64.urlsafe_b64encode(external_id.encode()).decode().rstrip("=")


def _uncursor(value: str) -> str | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except ValueError:
        return None


def _when(value: Any) -> float | None:
    """Graph's since/until: a Unix timestamp or an ISO 8601 time."""
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()


def page(
    items: list[Published],
    p: dict[str, Any],
    shape: Callable[[Published], dict[str, Any]],
    next_base: str | None = None,
) -> Response:
    """A Graph list edge, newest first: ``limit`` (default 25, at most 100), the ``after``
    cursor, ``since`` / ``until`` times; ``paging.cursors`` and, when more remain,
    ``paging.next``."""
    try:
        limit = int(p.get("limit", 25))
        since, until = _when(p.get("since")), _when(p.get("until"))
    except ValueError:
        return graph_error("(#100) Invalid parameter", 100)
    if not 1 <= limit <= 100:
        return graph_error("(#100) The parameter limit must be between 1 and 100", 100)
    chosen = [
        x
        for x in items
        if (since is None or x.received_at >= since) and (until is None or x.received_at <= until)
    ]
    if p.get("after"):
        ids = [x.external_id for x in chosen]
        anchor = _uncursor(str(p["after"]))
        if anchor not in ids:
            return graph_error("(#100) The after cursor is not valid", 100)
        chosen = chosen[ids.index(anchor) + 1 :]
    data = chosen[:limit]
    out: dict[str, Any] = {"data": [shape(x) for x in data]}
    if data:
        paging: dict[str, Any] = {
            "cursors": {
                "before": cursor(data[0].external_id),
                "after": cursor(data[-1].external_id),
            }
        }
        if len(chosen) > limit and next_base:
            # As Meta's own next links do, this one carries every parameter, the token too.
            query = {k: str(v) for k, v in p.items() if k != "after"}
            query["after"] = cursor(data[-1].external_id)
            paging["next"] = f"{next_base}?{urlencode(query)}"
        out["paging"] = paging
    return json_response(out)
