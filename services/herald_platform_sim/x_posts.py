"""X posts: create (POST /2/tweets), a user's posts (GET /2/users/{id}/tweets), lookup.

Request bodies and query parameters are judged by X's OpenAPI description; unknown fields
and parameters are refused with 400, as X does. Posts are answered as X shows them
(x_text): t.co links, HTML escapes, a media link, long text cut with the rest in note_tweet.
Fields beyond id, text and edit_history_tweet_ids come only when asked for (tweet.fields).
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald_platform_sim import faults, metrics, x_openapi, x_text
from herald_platform_sim.common import json_response, state_of
from herald_platform_sim.state import Published, SimState
from herald_platform_sim.x_common import (
    ANSWERS,
    P,
    allowed,
    caller,
    invalid,
    invalid_parameters,
    limit_headers,
    problem,
    token_of,
    usage_capped,
)

TIMELINE = "/2/users/{id}/tweets"
MEDIA_RULE = "A post carries up to 4 photos, or 1 video, or 1 animated GIF; kinds are not mixed"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + (
        f"{int(ts * 1000) % 1000:03d}Z"
    )


def _fields(request: Request) -> set[str]:
    q = request.query_params
    raw = ",".join(v for k in ("tweet.fields", "post.fields") for v in q.getlist(k))
    return {f for f in raw.split(",") if f}


def _media(st: SimState, pub: Published) -> list[x_text.Media]:
    found = (st.media.get(mid) for mid in pub.media)
    return [x_text.Media(m["key"], m["kind"]) for m in found if m is not None]


def shown(st: SimState, pub: Published, fields: set[str]) -> dict[str, Any]:
    """One post as X answers it, with the fields asked for."""
    account = st.user(P, pub.account)
    media = _media(st, pub)
    s = x_text.show(
        st.seed, pub.external_id, pub.text, media, account.login if account else pub.account
    )
    out: dict[str, Any] = {
        "id": pub.external_id,
        "text": s.text,
        "edit_history_tweet_ids": [pub.external_id],
    }
    if "created_at" in fields:
        out["created_at"] = _iso(pub.received_at)
    if "author_id" in fields:
        out["author_id"] = pub.account
    if "entities" in fields and s.urls:
        out["entities"] = {"urls": s.urls}
    if "attachments" in fields and media:
        out["attachments"] = {"media_keys": [m.key for m in media]}
    if s.note is not None:
        for name in ("note_tweet", "note_post"):
            if name in fields:
                out[name] = s.note
    if "public_metrics" in fields:
        m = metrics.counts(st, pub.external_id)
        out["public_metrics"] = {
            # v2.167 of X's OpenAPI names it repost_count; older answers say retweet_count.
            "repost_count": m["shares"],
            "retweet_count": m["shares"],
            "reply_count": m["comments"],
            "like_count": m["likes"],
            "quote_count": 0,
            "bookmark_count": 0,
            "impression_count": m["impressions"],
        }
    return out


# -- create ------------------------------------------------------------------------------


async def create(request: Request) -> Response:
    st = state_of(request)
    plan = await faults.plan(st, P, "publish")
    tok = faults.survives(st, plan, P, token_of(request))
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    if plan.kind == "usage_cap":
        return usage_capped()
    checked = allowed(request, "/2/tweets", tok)
    if isinstance(checked, Response):
        return checked
    tok = checked
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return invalid("Request body is not valid JSON")
    errors = sorted(x_openapi.validator("CreatePostsRequest").iter_errors(body), key=str)
    if errors:
        return invalid_parameters([{"message": e.message, "parameters": {}} for e in errors[:5]])
    text = body.get("text", "")
    media_ids = (body.get("media") or {}).get("media_ids") or []
    if not text and not media_ids:
        return invalid("text is required unless media is provided")
    if text and x_text.weighted_length(text) > x_text.MAX_WEIGHTED:
        return problem(403, "Forbidden", "You are not permitted to perform this action.")
    kinds = []
    for mid in media_ids:
        m = st.media.get(mid)
        if (
            m is None
            or not m.get("ready")
            or m.get("owner") != tok.account.user_id
            or m["expires_at"] <= st.now()
        ):
            return invalid(f"Invalid media id {mid}")
        kinds.append(m["kind"])
    if len(kinds) > 1 and any(k != "photo" for k in kinds):
        return invalid(MEDIA_RULE)
    account = tok.account.user_id
    duplicate_window = request.app.state.settings.duplicate_window_seconds

    def commit() -> Response:
        ok, limit, remaining, reset = st.take_slot(P, account)
        headers = limit_headers(limit, remaining, reset)
        if not ok:
            return problem(429, "Too Many Requests", "Too Many Requests", headers=headers)
        if st.duplicate_of(P, account, text, duplicate_window):
            return problem(
                403,
                "Forbidden",
                "You are not allowed to create a Tweet with duplicate content.",
                headers=headers,
            )
        pub = st.record(P, account, text, list(media_ids), body)
        data = shown(st, pub, set())
        return json_response({"data": data}, 201, headers)

    return await faults.create(st, plan, ANSWERS, commit)


# -- reads -------------------------------------------------------------------------------


def _token(oldest: str) -> str:
    return base64.b32encode(f"before:{oldest}".encode()).decode().rstrip("=").lower()


def _before(token: str) -> int | None:
    try:
        padded = token.upper() + "=" * (-len(token) % 8)
        kind, _, value = base64.b32decode(padded).decode().partition(":")
        return int(value) if kind == "before" else None
    except ValueError:
        return None


def _time(q: Any, name: str, errors: list[dict[str, Any]]) -> float | None:
    raw = q.get(name)
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if when.tzinfo is None:
            raise ValueError(raw)
        return when.timestamp()
    except ValueError:
        errors.append(
            {
                "parameters": {name: [raw]},
                "message": f"Invalid '{name}':'{raw}'. '{name}' must be a valid RFC3339 date",
            }
        )
        return None


async def user_posts(request: Request) -> Response:
    """A user's posts, newest first: start_time/end_time, since_id/until_id, max_results
    (5-100, default 10) and pagination_token are honoured as X documents them."""
    st = state_of(request)
    plan = await faults.plan(st, P, "read")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    tok = caller(request, TIMELINE)
    if isinstance(tok, Response):
        return tok
    q = request.query_params
    errors = x_openapi.query_errors(TIMELINE, "get", q)
    before = None
    if "pagination_token" in q:
        before = _before(q["pagination_token"])
        if before is None:
            errors.append(
                {
                    "parameters": {"pagination_token": [q["pagination_token"]]},
                    "message": "The `pagination_token` query parameter value "
                    f"[{q['pagination_token']}] is not valid",
                }
            )
    start, end = _time(q, "start_time", errors), _time(q, "end_time", errors)
    if errors:
        return invalid_parameters(errors)
    since = int(q["since_id"]) if "since_id" in q else None
    until = int(q["until_id"]) if "until_id" in q else None
    matching = [
        pub
        for pub in st.newest_first(P, request.path_params["id"])
        if (start is None or pub.received_at >= start)
        and (end is None or pub.received_at < end)
        and (since is None or int(pub.external_id) > since)
        and (until is None or int(pub.external_id) < until)
        and (before is None or int(pub.external_id) < before)
    ]
    size = int(q.get("max_results", "10"))
    page = matching[:size]
    fields = _fields(request)
    meta: dict[str, Any] = {"result_count": len(page)}
    out: dict[str, Any] = {"meta": meta}
    if page:
        out["data"] = [shown(st, pub, fields) for pub in page]
        meta["newest_id"] = page[0].external_id
        meta["oldest_id"] = page[-1].external_id
        if len(matching) > size:
            meta["next_token"] = _token(page[-1].external_id)
    return json_response(out)


async def lookup(request: Request) -> Response:
    st = state_of(request)
    plan = await faults.plan(st, P, "metrics")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    tok = caller(request, "/2/tweets")
    if isinstance(tok, Response):
        return tok
    errors = x_openapi.query_errors("/2/tweets", "get", request.query_params)
    if errors:
        return invalid_parameters(errors)
    fields = _fields(request)
    data, missing = [], []
    for i in request.query_params["ids"].split(","):
        pub = st.by_external.get(i)
        if pub is None or pub.platform != P:
            missing.append(
                {
                    "value": i,
                    "detail": f"Could not find tweet with ids: [{i}].",
                    "title": "Not Found Error",
                    "resource_type": "tweet",
                    "parameter": "ids",
                    "resource_id": i,
                    "type": "https://api.x.com/2/problems/resource-not-found",
                }
            )
            continue
        data.append(shown(st, pub, fields))
    out: dict[str, Any] = {"data": data}
    if missing:
        out["errors"] = missing
    return json_response(out)


routes = [
    Route("/x/2/users/{id}/tweets", user_posts),
    Route("/x/2/tweets", create, methods=["POST"]),
    Route("/x/2/tweets", lookup, methods=["GET"]),
]
