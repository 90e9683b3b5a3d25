"""X's answers sorted into our error classes.

X v2 answers errors as RFC 7807 problems (``{"title", "detail", "type", "status"}``); old
endpoints still send v1.1's ``{"errors": [{"code", "message"}]}``. 401 is a token X no
longer takes; 403 "You are not allowed to create a Tweet with duplicate content." is a
duplicate, any other 403 or 4xx a refusal. 429 is either the per-user window (wait until
``x-rate-limit-reset``, Unix seconds) or, with a ``type`` ending in ``usage-capped``, a
usage cap that lasts until the ``x-user-limit-24hour-reset`` (or app) header says. 5xx is
X's side; on a create it leaves the outcome unknown, because X takes no idempotency key.
"""

from __future__ import annotations

import time

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
            reset = response.headers.get("x-user-limit-24hour-reset") or response.headers.get(
                "x-app-limit-24hour-reset"
            )
            wait = max(60.0, float(reset) - time.time()) if reset else 86400.0
            return RateLimited("X usage cap reached", retry_after=wait, status_code=429)
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
