"""The simulator's own endpoints under /_sim: faults, scripts, inspection, clock, tokens.

- ``GET|PUT /_sim/faults`` ``{"TWITTER": {"error_rate": 0.1, "latency_ms": 100, ...}}``
- ``POST /_sim/script`` ``{"platform": "TWITTER", "action": "publish", "faults":
  [{"fault": "error", "status": 503}, {"fault": "rate_limit", "retry_after": 7}]}`` — the
  next matching requests answer these, in order (faults: error, timeout, rate_limit,
  revoke, drop_after_create, late; X also usage_cap; Graph faults may name a ``code`` and
  ``subcode``; actions: publish, media, read, metrics, oauth, any).
  ``{"fault": "late", "delay": 3, "hold": 10}``: the post lands 3 s after the request
  arrived and the answer comes after 10 s (see faults.py)
- ``GET /_sim/published?platform=&account=`` everything published, with its request
- ``DELETE /_sim/published/{external_id}`` the post deleted on its platform (as its author
  would): reads of it answer as each platform answers for a deleted post; 404 if unknown
- ``GET /_sim/requests`` counters per platform and action
- ``PUT /_sim/rate_limits`` ``{"TWITTER": {"limit": 300, "window": 900}}``
- ``POST /_sim/revoke`` / ``POST /_sim/expire`` ``{"platform": "X", "login": "default"}``
- ``POST /_sim/clock`` ``{"advance": 3600}``; ``POST /_sim/reset``
- ``GET /_sim/accounts``; ``GET /media/{name}`` serves an image made from its name
  (images.py: ``a.jpg``, ``tall-800x1400.jpg``, ``a.png``, ``clip.mp4``; ``?as=`` sets the
  Content-Type)
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald_platform_sim import images
from herald_platform_sim.common import json_response, state_of
from herald_platform_sim.faults import KINDS
from herald_platform_sim.state import PLATFORMS, Faults, Scripted, SimState


def apply_faults(st: SimState, data: dict[str, Any]) -> None:
    for platform, values in data.items():
        key = platform.upper()
        if key not in PLATFORMS:
            raise ValueError(f"unknown platform {platform}")
        current = dataclasses.asdict(st.faults[key])
        current.update(values or {})
        st.faults[key] = Faults(**current)


async def faults_endpoint(request: Request) -> Response:
    st = state_of(request)
    if request.method == "PUT":
        try:
            apply_faults(st, json.loads(await request.body()))
        except (ValueError, TypeError) as exc:
            return json_response({"error": str(exc)}, 400)
    return json_response({p: dataclasses.asdict(f) for p, f in st.faults.items()})


async def script(request: Request) -> Response:
    st = state_of(request)
    data = json.loads(await request.body())
    platform = str(data["platform"]).upper()
    unknown = [
        f.get("fault") for f in data.get("faults", []) if f.get("fault", "error") not in KINDS
    ]
    if platform not in PLATFORMS or unknown:
        return json_response({"error": f"unknown platform or faults: {platform} {unknown}"}, 400)
    for fault in data.get("faults", []):
        st.scripts[platform].append(Scripted(data.get("action", "publish"), fault))
    return json_response({"queued": len(st.scripts[platform])})


def _pub(p: Any) -> dict[str, Any]:
    return {
        "platform": p.platform,
        "account": p.account,
        "external_id": p.external_id,
        "text": p.text,
        "media": p.media,
        "received_at": p.received_at,
        "request": p.request,
    }


async def published(request: Request) -> Response:
    st = state_of(request)
    q = request.query_params
    items = [
        _pub(p)
        for p in st.published
        if (not q.get("platform") or p.platform == q["platform"].upper())
        and (not q.get("account") or p.account == q["account"])
    ]
    return json_response({"items": items, "count": len(items)})


async def delete_published(request: Request) -> Response:
    st = state_of(request)
    pub = st.delete(request.path_params["external_id"])
    if pub is None:
        return json_response({"error": "no such post"}, 404)
    return json_response({"deleted": True, **_pub(pub)})


async def requests_endpoint(request: Request) -> Response:
    st = state_of(request)
    return json_response({p: dict(v) for p, v in st.requests.items()})


async def rate_limits(request: Request) -> Response:
    st = state_of(request)
    data = json.loads(await request.body())
    for platform, v in data.items():
        if platform.upper() == "INSTAGRAM":
            st.ig_quota = int(v["limit"])  # read by content_publishing_limit
            continue
        st.limits[platform.upper()] = (int(v["limit"]), float(v["window"]))
        st.windows.clear()
    return json_response({p: {"limit": v[0], "window": v[1]} for p, v in st.limits.items()})


async def revoke(request: Request) -> Response:
    st = state_of(request)
    data = json.loads(await request.body())
    n = st.revoke_account(str(data["platform"]).upper(), data.get("login"))
    return json_response({"revoked": n})


async def expire(request: Request) -> Response:
    st = state_of(request)
    data = json.loads(await request.body())
    n = st.expire_account(str(data["platform"]).upper(), data.get("login"))
    return json_response({"expired": n})


async def clock(request: Request) -> Response:
    st = state_of(request)
    data = json.loads(await request.body() or b"{}")
    st.clock_offset += float(data.get("advance", 0))
    return json_response({"now": st.now(), "offset": st.clock_offset})


async def reset(request: Request) -> Response:
    settings = request.app.state.settings
    request.app.state.sim = new_state(settings)
    return json_response({"reset": True})


async def accounts(request: Request) -> Response:
    st = state_of(request)
    return json_response(
        [
            {"platform": a.platform, "login": a.login, "user_id": a.user_id, "page_id": a.page_id}
            for a in st.accounts.values()
        ]
    )


async def media(request: Request) -> Response:
    data, ctype = images.render(request.path_params["name"])
    return Response(data, media_type=request.query_params.get("as", ctype))


async def healthz(request: Request) -> Response:
    return json_response({"status": "ok"})


def new_state(settings: Any) -> SimState:
    st = SimState(settings.seed, settings.container_delay_seconds)
    st.limits["TWITTER"] = (settings.x_post_limit, settings.x_post_window_seconds)
    if settings.faults:
        apply_faults(st, json.loads(settings.faults))
    return st


routes = [
    Route("/_sim/faults", faults_endpoint, methods=["GET", "PUT"]),
    Route("/_sim/script", script, methods=["POST"]),
    Route("/_sim/published", published),
    Route("/_sim/published/{external_id:path}", delete_published, methods=["DELETE"]),
    Route("/_sim/requests", requests_endpoint),
    Route("/_sim/rate_limits", rate_limits, methods=["PUT"]),
    Route("/_sim/revoke", revoke, methods=["POST"]),
    Route("/_sim/expire", expire, methods=["POST"]),
    Route("/_sim/clock", clock, methods=["POST"]),
    Route("/_sim/reset", reset, methods=["POST"]),
    Route("/_sim/accounts", accounts),
    Route("/media/{name}", media),
    Route("/healthz", healthz),
]
