"""Facebook Pages: /feed, /photos (published or not, attached_media), published_posts, metrics.

A Page token carries the permissions its user granted, as Meta documents them per call:
pages_manage_posts to publish, pages_read_engagement to read the Page's posts and their
counters, read_insights (with pages_read_engagement) for /{post-id}/insights.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from herald_platform_sim import faults, graph, metrics
from herald_platform_sim.common import graph_error, json_response
from herald_platform_sim.state import Published, SimState, Token

P = "FACEBOOK"
KINDS = ("page", "user_long")
MANAGE = "pages_manage_posts"
ENGAGEMENT = "pages_read_engagement"
INSIGHTS = "read_insights"
ANSWERS = graph.answers(P)


async def dispatch(request: Request, st: SimState, parts: list[str], p: dict[str, Any]) -> Response:
    if request.method == "POST" and len(parts) == 2 and parts[1] in ("feed", "photos"):
        return await _publish(request, st, parts[0], parts[1], p)
    return await read(st, parts, p, str(request.url).split("?")[0])


async def _publish(
    request: Request, st: SimState, page_id: str, edge: str, p: dict[str, Any]
) -> Response:
    unpublished = edge == "photos" and str(p.get("published", "true")).lower() == "false"
    plan = await faults.plan(st, P, "media" if unpublished else "publish")
    tok = faults.survives(st, plan, P, graph.token(st, p.get("access_token"), ("page",)))
    if tok is None:
        return graph.invalid_token()
    if tok.account.page_id != page_id or not tok.has(MANAGE):
        return graph_error(
            "(#200) The user hasn't authorized the application to perform this action",
            200,
            status=403,
        )
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    window = request.app.state.settings.duplicate_window_seconds
    if edge == "photos":
        return await faults.create(
            st, plan, ANSWERS, lambda: _photo(st, page_id, p, unpublished, window)
        )
    return await faults.create(st, plan, ANSWERS, lambda: _feed(st, page_id, p, window))


def _photo(
    st: SimState, page_id: str, p: dict[str, Any], unpublished: bool, window: float
) -> Response:
    url = p.get("url")
    if not url and not p.get("source"):
        return graph_error("(#100) No photo was provided", 100)
    photo_id = st.new_id(16)
    if unpublished:
        st.unpublished_photos[photo_id] = str(url)
        return json_response({"id": photo_id})
    text = str(p.get("caption") or p.get("message") or "")
    if st.duplicate_of(P, page_id, text, window):
        return _duplicate()
    pub = st.record(
        P, page_id, text, [str(url)], graph.plain(p), external_id=f"{page_id}_{st.new_id(16)}"
    )
    return json_response({"id": photo_id, "post_id": pub.external_id})


def _feed(st: SimState, page_id: str, p: dict[str, Any], window: float) -> Response:
    message = str(p.get("message") or "")
    attached = [v for k, v in sorted(p.items()) if k.startswith("attached_media")]
    media: list[str] = []
    for item in attached:
        fbid = (json.loads(item) if isinstance(item, str) else item).get("media_fbid")
        if fbid not in st.unpublished_photos:
            return graph_error("(#100) Invalid media_fbid", 100)
        media.append(st.unpublished_photos[fbid])
    if not message and not p.get("link") and not media:
        return graph_error("(#100) Either message or link must be provided", 100)
    if st.duplicate_of(P, page_id, message, window):
        return _duplicate()
    pub = st.record(
        P, page_id, message, media, graph.plain(p), external_id=f"{page_id}_{st.new_id(16)}"
    )
    return json_response({"id": pub.external_id})


def _duplicate() -> Response:
    return graph_error("Duplicate status message", 506)


async def read(
    st: SimState, parts: list[str], p: dict[str, Any], base: str | None = None
) -> Response:
    """Every GET (also each operation of a batch); ``p`` carries the access token, ``base``
    is the URL a next page link starts with."""
    tok = graph.token(st, p.get("access_token"), KINDS)
    if tok is None:
        return graph.invalid_token()
    if parts and parts[0] in st.by_external:
        return await _post_metrics(st, tok, parts)
    plan = await faults.plan(st, P, "read")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    if len(parts) == 2 and parts[1] == "published_posts":
        if not tok.has(ENGAGEMENT):
            return graph.missing_permission(P, ENGAGEMENT)
        wanted = graph.fields(p, "id,message,created_time")

        def post(x: Published) -> dict[str, Any]:
            known = {"id": x.external_id, "created_time": graph.iso(x.received_at)}
            if x.text:  # Graph leaves out a message the post does not have
                known["message"] = x.text
            return {k: v for k, v in known.items() if k in wanted or k == "id"}

        return graph.page(st.newest_first(P, parts[0]), p, post, base)
    return graph_error(
        "(#100) Object does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation",
        100,
        subcode=33,
    )


async def _post_metrics(st: SimState, tok: Token, parts: list[str]) -> Response:
    plan = await faults.plan(st, P, "metrics")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    post_id = parts[0]
    insights = len(parts) == 2 and parts[1] == "insights"
    needed = (ENGAGEMENT, INSIGHTS) if insights else (ENGAGEMENT,)
    if not tok.has(*needed):
        return graph.missing_permission(P, *needed)
    m = metrics.counts(st, post_id)
    if insights:
        return json_response(
            {
                "data": [
                    {
                        "name": "post_media_view",
                        "period": "lifetime",
                        "values": [{"value": m["impressions"]}],
                        "title": "Views",
                        "id": f"{post_id}/insights/post_media_view/lifetime",
                    }
                ]
            }
        )
    out: dict[str, Any] = {
        "id": post_id,
        "reactions": {"data": [], "summary": {"total_count": m["likes"]}},
        "comments": {"data": [], "summary": {"total_count": m["comments"]}},
    }
    if m["shares"]:
        out["shares"] = {"count": m["shares"]}
    return json_response(out)
