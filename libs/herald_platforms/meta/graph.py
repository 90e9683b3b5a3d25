"""Graph API errors sorted into our classes, and batch requests.

Instagram and Facebook answer ``{"error": {"message", "type", "code", "error_subcode"}}``.
Codes 190 and 102 are token problems (expired, revoked, password changed, app removed);
4 with subcode 2207051 is Instagram's "restricted activity" block, which may come after the
post went out (unknown on a create, a refusal otherwise); 4, 17, 32, 341, 613 and
80001/80002 are throttles (the usage headers tell how long until
access returns, ``estimated_time_to_regain_access`` in minutes); 9 with subcode 2207042 is
Instagram's daily publishing cap; 506 and subcode 1366051 are duplicates; 1, 2, -1, -2 and
the subcodes in :data:`TRANSIENT_SUBCODES` (media not ready, download timeouts, "service
temporarily unavailable") pass; anything else (100 bad parameter, 10 and 200-299 missing
permission, content refused) is a refusal. A batch carries at most 50 operations.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from typing import Any

import httpx

from herald_platforms.common import body_of, call, safe
from herald_platforms.errors import (
    AuthFailed,
    Duplicate,
    Gone,
    OutcomeUnknown,
    PlatformError,
    QuotaReached,
    RateLimited,
    Rejected,
    Transient,
)

THROTTLE_CODES = {4, 17, 32, 341, 613, 80001, 80002}
TRANSIENT_CODES = {1, 2, -1, -2}
TRANSIENT_SUBCODES = {
    2207027,
    2207008,
    2207003,
    2207052,
    2207053,
    2207032,
    2207001,
    1363047,
    1609010,
    1390008,
}
AUTH_CODES = {190, 102}
RESTRICTED = 2207051
BATCH_MAX = 50


def _regain_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("x-business-use-case-usage") or response.headers.get("x-app-usage")
    if not raw:
        return None
    try:
        usage = json.loads(raw)
    except ValueError:
        return None
    minutes = [
        float(entry.get("estimated_time_to_regain_access", 0))
        for entries in (usage.values() if isinstance(usage, dict) else [])
        if isinstance(entries, list)
        for entry in entries
    ]
    return max(minutes) * 60 if minutes else None


def classify_body(
    status: int, body: Any, response: httpx.Response | None = None, *, creates: bool = False
) -> PlatformError:
    err = body.get("error", {}) if isinstance(body, dict) else {}
    code = err.get("code")
    sub = err.get("error_subcode")
    message = safe(f"{err.get('message') or 'Graph API error'} (code {code})")
    if code in AUTH_CODES:
        return AuthFailed(message, status_code=status, code=str(code))
    if code == 4 and sub == RESTRICTED:
        # Instagram's "restricted activity" (suspected spam) block can come after the media
        # went out: after a publish it is an unknown outcome, checked before any retry.
        if creates:
            return OutcomeUnknown(
                "Instagram restricted this activity as possible spam (code 4/2207051); the "
                "post may still have gone out, so it is checked before any retry",
                status_code=status,
                code="4",
            )
        return Rejected(
            "Instagram restricted this account's activity as possible spam (code 4/2207051); "
            "check the account in Instagram, then retry",
            status_code=status,
            code="4",
        )
    if code == 9 and sub == 2207042:
        return QuotaReached(message, retry_after=3600.0, status_code=status, code=str(code))
    if code in THROTTLE_CODES:
        wait = (_regain_seconds(response) if response is not None else None) or 60.0
        return RateLimited(message, retry_after=max(wait, 60.0), status_code=status, code=str(code))
    if code == 506 or sub == 1366051:
        return Duplicate(message, status_code=status, code=str(code))
    if code in TRANSIENT_CODES or sub in TRANSIENT_SUBCODES or status >= 500:
        if creates and status >= 500:
            return OutcomeUnknown(message, status_code=status, code=str(code))
        return Transient(message, status_code=status, code=str(code))
    return Rejected(message, status_code=status, code=str(code))


def item_error(status: int, body: Any) -> PlatformError:
    """The error of one operation of a batch (an object that no longer exists is Gone)."""
    err = body.get("error", {}) if isinstance(body, dict) else {}
    if err.get("code") == 100 and err.get("error_subcode") == 33:
        return Gone(safe(f"The post no longer exists: {err.get('message') or 'gone'}"))
    return classify_body(status, body)


def raise_for_auth(errors: list[PlatformError]) -> None:
    """A token refused inside a batch is the account's token: refused for the whole batch,
    so the caller refreshes it (or marks the account) instead of failing item by item."""
    for error in errors:
        if isinstance(error, AuthFailed):
            raise error


def classify(response: httpx.Response, *, creates: bool = False) -> PlatformError:
    return classify_body(response.status_code, body_of(response), response, creates=creates)


async def batch(
    client: httpx.AsyncClient, base: str, token: str, requests: list[dict[str, str]]
) -> list[tuple[int, Any]]:
    """Run GETs through Graph batch requests of at most 50; (status, body) in order."""
    out: list[tuple[int, Any]] = []
    for start in range(0, len(requests), BATCH_MAX):
        ops = requests[start : start + BATCH_MAX]
        form = {"access_token": token, "batch": json.dumps(ops), "include_headers": "false"}
        r = await call(partial(client.post, base + "/", data=form))
        if r.status_code != 200:
            raise classify(r)
        for item in body_of(r):
            try:
                parsed = json.loads(item.get("body") or "{}")
            except ValueError:
                parsed = {}
            out.append((int(item.get("code", 500)), parsed))
    return out


# A list edge read for a check: 100 a page, at most this many pages.
LIST_PAGE = 100
LIST_PAGES = 50


def since_param(since: datetime | None) -> datetime | None:
    """``since`` to the whole second below: Graph's times (and its ``since``) have no finer
    grain, so a post made in the window's first second still shows as inside it."""
    return since.replace(microsecond=0) if since is not None else None


def graph_time(value: Any) -> datetime | None:
    """``2026-11-25T18:04:01+0000`` (Graph's form), or None."""
    if not value:
        return None
    try:
        return datetime.strptime(str(value), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


async def list_since(
    client: httpx.AsyncClient,
    url: str,
    params: dict[str, str],
    since: datetime | None,
    time_field: str,
) -> list[dict[str, Any]]:
    """Every item of a newest-first list edge created since ``since`` (Graph's ``since``
    bound, and paging by the ``after`` cursor until the last page or an older item)."""
    query = {**params, "limit": str(LIST_PAGE)}
    if since is not None:
        query["since"] = str(int(since.timestamp()))
    out: list[dict[str, Any]] = []
    for _ in range(LIST_PAGES):
        r = await call(partial(client.get, url, params=query))
        if r.status_code != 200:
            raise classify(r)
        body = body_of(r)
        items = list(body.get("data") or [])
        out.extend(items)
        paging = body.get("paging") or {}
        after = (paging.get("cursors") or {}).get("after")
        oldest = graph_time(items[-1].get(time_field)) if items else None
        if not items or not paging.get("next") or not after:
            break
        if since is not None and oldest is not None and oldest < since:
            break
        query = {**query, "after": str(after)}
    return out
