"""LinkedIn's answers sorted into our error classes.

LinkedIn answers ``{"status", "serviceErrorCode", "code", "message"}``. 401 is an invalid,
revoked or expired token (serviceErrorCode 65600-65602); 422 with an input error coded
``DUPLICATE_POST`` is a duplicate; 429 is a throttle whose daily quotas reset at 00:00 UTC;
409 "A write conflict occurred. Retry the request." and 5xx may leave a create applied
(unknown on a create, since LinkedIn takes no idempotency key; passing otherwise); any other
4xx (400 bad field, 403 missing permission, 426 retired LinkedIn-Version) is a refusal.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
)


def until_utc_midnight() -> float:
    now = datetime.now(UTC)
    tomorrow = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    return (tomorrow - now).total_seconds()


def classify(response: httpx.Response, *, creates: bool = False) -> PlatformError:
    status = response.status_code
    body = body_of(response)
    message = safe(
        f"LinkedIn answered {status}: {body.get('message', '')}"
        if isinstance(body, dict)
        else f"LinkedIn answered {status}"
    )
    if status == 401:
        return AuthFailed(
            "LinkedIn refused the account's token (expired or revoked)", status_code=401
        )
    if status == 429:
        # Daily quotas reset at 00:00 UTC; a Retry-After, when given, is more precise.
        wait = retry_after(response) or until_utc_midnight()
        return RateLimited("LinkedIn rate limit reached", retry_after=wait, status_code=429)
    details = body.get("errorDetails", {}) if isinstance(body, dict) else {}
    codes = {e.get("code") for e in details.get("inputErrors", [])}
    if status == 422 and "DUPLICATE_POST" in codes:
        return Duplicate("LinkedIn refused the post as a duplicate", status_code=422)
    if status == 409:
        # The create may still have been applied, so a retry checks first.
        if creates:
            return OutcomeUnknown(
                "LinkedIn reported a write conflict; the post may exist, so it is checked "
                "before any retry",
                status_code=409,
            )
        return Transient(message, status_code=409)
    if status >= 500:
        if creates:
            return OutcomeUnknown(message, status_code=status)
        return Transient(message, status_code=status)
    return Rejected(message, status_code=status)
