"""Facebook Pages: /feed, /photos (published or not, attached_media), published_posts, metrics."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from herald_platform_sim import faults
from herald_platform_sim.common import bearer, graph_error, json_response
from herald_platform_sim.meta import _fault_response, _invalid_token, _token
from herald_platform_sim.state import SimState

P = "FACEBOOK"


async def dispatch(request: Request, st: SimState, parts: list[str], p: dict[str, Any]) -> Response:
    if request.method == "POST" and len(parts) == 2 and parts[1] in ("feed", "photos"):
        return await _publish(request, st, parts[0], parts[1], p)
    return await read(st, parts, p, request)


async def _publish(
    request: Request, st: SimState, page_id: str, edge: str, p: dict[str, Any]
) -> Response:
    plan = await faults.plan(
        st,
        P,
        "publish"
        if edge == "feed" or p.get("published", "true") not in ("false", False)
        else "media",
    )
    tok = _token(request, p, ("page",))
    tok = faults.survives(st, plan, P, tok)
    if tok is None:
        return _invalid_token()
    if tok.account.page_id != page_id:
        return graph_error(
            "(#200) The user hasn't authorized the application to perform this action",
            200,
            status=403,
        )
    if plan.kind == "timeout":
        await faults.hold(plan)
    early = _fault_response(plan, P)
    if early is not None:
        return early
    settings = request.app.state.settings
    if edge == "photos":
        url = p.get("url")
        if not url and not p.get("source"):
            return graph_error("(#100) No photo was provided", 100)
        photo_id = st.new_id(16)
        if str(p.get("published", "true")).lower() == "false":
            st.unpublished_photos[photo_id] = str(url)
            return json_response({"id": photo_id})
        text = str(p.get("caption") or p.get("message") or "")
        if st.duplicate_of(P, page_id, text, settings.duplicate_window_seconds):
            return _duplicate()
        pub = st.record(
            P, page_id, text, [str(url)], _plain(p), external_id=f"{page_id}_{st.new_id(16)}"
        )
        if plan.kind == "drop_after_create":
            return graph_error("An unexpected error has occurred.", 2, status=500)
        return json_response({"id": photo_id, "post_id": pub.external_id})
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
    if st.duplicate_of(P, page_id, message, settings.duplicate_window_seconds):
        return _duplicate()
    pub = st.record(P, page_id, message, media, _plain(p), external_id=f"{page_id}_{st.new_id(16)}")
    if plan.kind == "drop_after_create":
        return graph_error("An unexpected error has occurred.", 2, status=500)
    return json_response({"id": pub.external_id})


def _duplicate() -> Response:
    return graph_error("Duplicate status message", 506)


def _plain(p: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in p.items() if k != "access_token" and not isinstance(v, bytes)}


async def read(
    st: SimState, parts: list[str], p: dict[str, Any], request: Request | None = None
) -> Response:
    value = (bearer(request) if request is not None else None) or p.get("access_token")
    if st.check(value, ("page", "user_long")) is None:
        return _invalid_token()
    if len(parts) == 2 and parts[1] == "published_posts":
        posts = st.recent(P, parts[0], int(p.get("limit", 25)))
        return json_response(
            {
                "data": [
                    {"id": x.external_id, "message": x.text, "created_time": int(x.received_at)}
                    for x in posts
                ]
            }
        )
    if len(parts) >= 1 and parts[0] in st.by_external:
        plan = await faults.plan(st, P, "metrics")
        early = _fault_response(plan, P)
        if early is not None:
            return early
        m = st.metrics(parts[0])
        if len(parts) == 2 and parts[1] == "insights":
            return json_response(
                {
                    "data": [
                        {
                            "name": "post_media_view",
                            "period": "lifetime",
                            "values": [{"value": m["impressions"]}],
                            "title": "Views",
                            "id": f"{parts[0]}/insights/post_media_view/lifetime",
                        }
                    ]
                }
            )
        out: dict[str, Any] = {
            "id": parts[0],
            "reactions": {"data": [], "summary": {"total_count": m["likes"]}},
            "comments": {"data": [], "summary": {"total_count": m["comments"]}},
        }
        if m["shares"]:
            out["shares"] = {"count": m["shares"]}
        return json_response(out)
    return graph_error(
        "(#100) Object does not exist, cannot be loaded due to missing "
        "permissions, or does not support this operation",
        100,
        subcode=33,
    )
