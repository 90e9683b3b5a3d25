"""X's answers sorted into our error classes.

X v2 answers errors as RFC 7807 problems (``{"title", "detail", "type", "status"}``); old
endpoints still send v1.1's ``{"errors": [{"code", "message"}]}``. 401 is a token X no
longer takes; 403 "You are not allowed to create a Tweet with duplicate content." is a
duplicate, any other 403 or 4xx a refusal. 429 is either the per-user window (wait until
``x-rate-limit-reset``, Unix seconds) or, with a ``type`` ending in ``usage-capped``, a
usage cap that lasts until its period ends (:func:`_usage_capped`): no retry helps before. 5xx is
X's side; on a create it leaves the outcome unknown, because X takes no idempotency key.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from herald_platforms.common import body_of, retry_after, safe
from herald_platforms.errors import (
    AuthFailed,
    Duplicate,
    OutcomeUnknown,
    PlatformError,
    RateLimited,
    Rejected,
    Transient,
    UsageCapped,
)

DUPLICATE = "duplicate content"


def classify(response: httpx.Response, *, creates: bool = False) -> PlatformError:
    status = response.status_code
    body = body_of(response)
    detail = ""
    if isinstance(body, dict):
        detail = str(body.get("detail") or body.get("title") or "")
        if not detail and body.get("errors"):
            detail = str(body["errors"][0].get("message", ""))
    message = safe(f"X answered {status}: {detail}" if detail else f"X answered {status}")
    if status == 401:
        return AuthFailed("X refused the account's token (expired or revoked)", status_code=401)
    if status == 429:
        kind = str(body.get("type", "")) if isinstance(body, dict) else ""
        if "usage-capped" in kind:
            return _usage_capped(response, body)
        after = retry_after(response)
        reset = response.headers.get("x-rate-limit-reset")
        if after is None and reset:
            after = max(1.0, float(reset) - time.time())
        return RateLimited("X rate limit reached", retry_after=after or 60.0, status_code=429)
    if status == 403 and DUPLICATE in detail.lower():
        return Duplicate("X refused the post as a duplicate of a recent one", status_code=403)
    if status >= 500:
        if creates:
            return OutcomeUnknown(message, status_code=status)
        return Transient(message, status_code=status)
    return Rejected(message, status_code=status)


def _usage_capped(response: httpx.Response, body: dict[str, Any]) -> UsageCapped:
    """X's spend/usage cap: nothing goes through before its period ends.

    The body names the period (``{"title": "UsageCapExceeded", "detail": "Usage cap
    exceeded: Monthly product cap", "period": "Monthly", "scope": "Product", ...}``). A
    monthly cap ends at the start of the next month (UTC); a daily one at the reset X gives
    in its 24-hour headers, else at the next UTC midnight.
    """
    period = str(body.get("period") or "")
    now = datetime.now(UTC)
    header = response.headers.get("x-user-limit-24hour-reset") or response.headers.get(
        "x-app-limit-24hour-reset"
    )
    midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    if period.lower() == "monthly":
        first = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        resets_at = (first + timedelta(days=32)).replace(day=1)
    elif header:
        resets_at = datetime.fromtimestamp(float(header), UTC)
    elif period.lower() == "daily":
        resets_at = midnight
    else:
        resets_at = now + timedelta(days=1)
    when = f"{resets_at:%Y-%m-%d %H:%M} UTC"
    cap = f"{period.lower()} usage cap" if period else "usage cap"
    return UsageCapped(
        f"X's {cap} is reached; X takes no posts before {when}",
        resets_at=resets_at,
        period=period or "unknown",
        status_code=429,
    )
