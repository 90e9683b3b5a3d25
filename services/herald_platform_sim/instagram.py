"""Instagram (Instagram Login): media containers, media_publish, container status, the
account's media, the publishing limit, metrics.

Containers: an image is fetched from ``image_url`` when its
container is made and judged on its bytes: JPEG only, at most 8 MiB, aspect ratio between
4:5 and 1.91:1. A container not published within 24 hours (on the simulator's clock)
expires: status EXPIRED, and media_publish refuses it. Past the publishing limit (posts in
the last 24 hours, ``content_publishing_limit``) media_publish answers code 9, subcode
2207042.

Permissions, as Meta documents them: instagram_business_basic to read, and
instagram_business_content_publish to create containers and publish;
instagram_business_manage_insights for /{media-id}/insights.
"""

from __future__ import annotations

from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from herald_platform_sim import faults, graph, images, metrics
from herald_platform_sim.common import graph_error, json_response
from herald_platform_sim.state import Container, Published, SimState, Token

P = "INSTAGRAM"
KINDS = ("ig_long", "ig_short")
BASIC = "instagram_business_basic"
PUBLISH = "instagram_business_content_publish"
INSIGHTS = "instagram_business_manage_insights"
ANSWERS = graph.answers(P)
CONTAINER_LIFETIME = 86400.0
MAX_IMAGE_BYTES = 8 * 1024 * 1024
RATIO = (4 / 5, 1.91)


async def dispatch(request: Request, st: SimState, parts: list[str], p: dict[str, Any]) -> Response:
    if request.method == "POST" and len(parts) == 2 and parts[1] in ("media", "media_publish"):
        return await _create(request, st, parts, p)
    return await read(st, parts, p, str(request.url).split("?")[0])


async def _create(request: Request, st: SimState, parts: list[str], p: dict[str, Any]) -> Response:
    publish = parts[1] == "media_publish"
    plan = await faults.plan(st, P, "publish" if publish else "media")
    tok = faults.survives(st, plan, P, graph.token(st, p.get("access_token"), KINDS))
    if tok is None:
        return graph.invalid_token()
    if not tok.has(BASIC, PUBLISH):
        return graph.missing_permission(P, PUBLISH)
    if tok.account.user_id != parts[0]:
        return graph_error(
            "(#10) Application does not have permission for this action", 10, status=403
        )
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    owner = parts[0]
    if not publish and p.get("image_url"):
        refused = await _judge_image(request, str(p["image_url"]))
        if refused is not None:
            return refused
    if publish:
        return await faults.create(st, plan, ANSWERS, lambda: _publish(st, owner, p))
    return await faults.create(st, plan, ANSWERS, lambda: _create_container(st, owner, p))


async def _judge_image(request: Request, url: str) -> Response | None:
    """Instagram fetches the image itself and judges the bytes, not the Content-Type."""
    try:
        r = await request.app.state.http.get(url)
    except httpx.HTTPError:
        r = None
    if r is None or r.status_code != 200:
        return graph_error(
            "Media download has failed. The media URI doesn't meet our requirements.",
            9004,
            subcode=2207052,
        )
    if len(r.content) > MAX_IMAGE_BYTES:
        return graph_error("The image size is too large.", 36000, subcode=2207004)
    pic = images.inspect(r.content)
    if pic is None or pic.format != "JPEG":
        return graph_error(
            "The image format is not supported. Only JPEG images are supported.",
            36001,
            subcode=2207005,
        )
    if not RATIO[0] <= pic.width / pic.height <= RATIO[1]:
        return graph_error(
            f"The submitted image with aspect ratio ('{pic.width}/{pic.height}') cannot be "
            "published. Please submit an image with a valid aspect ratio.",
            36003,
            subcode=2207009,
        )
    return None


def _create_container(st: SimState, owner: str, p: dict[str, Any]) -> Response:
    caption = str(p.get("caption") or "")
    if len(caption) > 2200:
        return graph_error("The caption is too long", 36010, subcode=2207010)
    cid = st.new_id(17)
    now = st.now()
    if str(p.get("media_type", "")).upper() == "CAROUSEL":
        children = [c for c in str(p.get("children", "")).split(",") if c]
        if not 2 <= len(children) <= 10:
            return graph_error("The carousel must have 2 to 10 items", 100, subcode=2207028)
        for c in children:
            child = st.containers.get(c)
            if child is None or not child.is_child or child.account != owner:
                return graph_error("(#100) Invalid child container", 100)
        st.containers[cid] = Container(
            cid, owner, caption, None, children, False, now + st.container_delay, now
        )
        return json_response({"id": cid})
    url = p.get("image_url") or p.get("video_url")
    if not url:
        return graph_error("(#100) The parameter image_url is required.", 100)
    is_child = str(p.get("is_carousel_item", "false")).lower() == "true"
    st.containers[cid] = Container(
        cid,
        owner,
        caption,
        str(url),
        [],
        is_child,
        now + st.container_delay,
        now,
        # Media the simulator "cannot process": a URL that says so.
        error="unprocessable" in str(url),
    )
    return json_response({"id": cid})


def _used(st: SimState, owner: str) -> int:
    """Posts published through the API in the last 24 hours (the publishing limit's window)."""
    return sum(1 for x in st.by_account[(P, owner)] if x.received_at > st.now() - 86400)


def _status(st: SimState, c: Container) -> str:
    if c.published_id:
        return "PUBLISHED"
    if st.now() >= c.created_at + CONTAINER_LIFETIME:
        return "EXPIRED"
    if c.error:
        return "ERROR"
    return "FINISHED" if st.now() >= c.ready_at else "IN_PROGRESS"


def _publish(st: SimState, owner: str, p: dict[str, Any]) -> Response:
    c = st.containers.get(str(p.get("creation_id")))
    if c is None or c.account != owner or c.is_child:
        return graph_error("(#100) Invalid creation_id", 100)
    if c.published_id:
        return graph_error("The media has already been published", 9007, subcode=2207006)
    children = [st.containers[ch] for ch in c.children]
    if any(_status(st, x) == "EXPIRED" for x in (c, *children)):
        return graph_error(
            "The media you are trying to publish has expired. Please create it again.",
            -2,
            subcode=2207020,
        )
    if _status(st, c) != "FINISHED":
        return graph_error("Media ID is not available", 9007, subcode=2207027)
    if _used(st, owner) >= st.ig_quota:
        return graph_error(
            "Application request limit reached: the account has reached its maximum number "
            "of posts in 24 hours",
            9,
            subcode=2207042,
        )
    media = (
        [c.image_url] if c.image_url else [str(st.containers[ch].image_url) for ch in c.children]
    )
    pub = st.record(
        P,
        owner,
        c.caption,
        media,
        {"creation_id": c.id, "caption": c.caption},
        external_id=st.new_id(17),
    )
    c.published_id = pub.external_id
    return json_response({"id": pub.external_id})


async def read(
    st: SimState, parts: list[str], p: dict[str, Any], base: str | None = None
) -> Response:
    """Every GET (also each operation of a batch); ``p`` carries the access token, ``base``
    is the URL a next page link starts with."""
    tok = graph.token(st, p.get("access_token"), KINDS)
    if tok is None:
        return graph.invalid_token()
    head = parts[0]
    if head in st.by_external:
        return await _media_metrics(st, tok, parts, p)
    plan = await faults.plan(st, P, "read")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    needed = PUBLISH if parts[1:] == ["content_publishing_limit"] else BASIC
    if not tok.has(needed):
        return graph.missing_permission(P, needed)
    if head in st.containers and len(parts) == 1:
        c = st.containers[head]
        return json_response(
            {
                "id": c.id,
                "status_code": _status(st, c),
                "status": "Error: 2207001" if c.error else "Finished",
            }
        )
    if len(parts) == 2 and parts[1] == "media":
        wanted = graph.fields(p, "id")

        def media(x: Published) -> dict[str, Any]:
            known = {"id": x.external_id, "caption": x.text, "timestamp": graph.iso(x.received_at)}
            known |= {"media_type": "CAROUSEL_ALBUM" if len(x.media) > 1 else "IMAGE"}
            return {k: v for k, v in known.items() if k in wanted or k == "id"}

        return graph.page(st.newest_first(P, head), p, media, base)
    if len(parts) == 2 and parts[1] == "content_publishing_limit":
        used = _used(st, head)
        return json_response(
            {
                "data": [
                    {
                        "quota_usage": used,
                        "config": {"quota_total": st.ig_quota, "quota_duration": 86400},
                    }
                ]
            }
        )
    return graph_error("(#100) Object does not exist", 100, subcode=33)


async def _media_metrics(st: SimState, tok: Token, parts: list[str], p: dict[str, Any]) -> Response:
    plan = await faults.plan(st, P, "metrics")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    head = parts[0]
    insights = len(parts) == 2 and parts[1] == "insights"
    needed = (BASIC, INSIGHTS) if insights else (BASIC,)
    if not tok.has(*needed):
        return graph.missing_permission(P, *needed)
    m = metrics.counts(st, head)
    if not insights:
        return json_response(
            {"id": head, "like_count": m["likes"], "comments_count": m["comments"]}
        )
    names = str(p.get("metric", "views")).split(",")
    values = {
        "views": m["impressions"],
        "reach": int(m["impressions"] * 0.8),
        "likes": m["likes"],
        "comments": m["comments"],
        "shares": m["shares"],
        "saved": 0,
        "total_interactions": m["likes"] + m["comments"] + m["shares"],
    }
    bad = [n for n in names if n not in values]
    if bad:
        return graph_error(
            f"(#100) metric[0] must be one of the following values: {', '.join(values)}", 100
        )
    return json_response(
        {
            "data": [
                {
                    "name": n,
                    "period": "lifetime",
                    "values": [{"value": values[n]}],
                    "title": n.title(),
                    "id": f"{head}/insights/{n}/lifetime",
                }
                for n in names
            ]
        }
    )
