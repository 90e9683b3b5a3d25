"""X media upload (v2): one-shot upload, initialize/append/finalize, processing status.

Each media id remembers its owner, its kind (photo, animated GIF, video) and when it
expires, so a post can be judged by X's media rules (up to 4 photos, or 1 video, or 1 GIF).
"""

from __future__ import annotations

import base64
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from herald_platform_sim import faults
from herald_platform_sim.common import json_response, params, state_of
from herald_platform_sim.x_common import ANSWERS, P, caller, invalid, problem
from herald_platform_sim.x_openapi import validator

EXPIRES_AFTER = 86400
KEY_PREFIX = {"photo": "3", "video": "7", "animated_gif": "16"}


def kind_of(category: str | None, media_type: str | None) -> str:
    if category in ("tweet_video", "dm_video", "amplify_video"):
        return "video"
    if category in ("tweet_gif", "dm_gif"):
        return "animated_gif"
    if category is None and (media_type or "").startswith("video/"):
        return "video"
    return "photo"


def _new(request: Request, owner: str, size: int, kind: str, ready: bool, **extra: Any) -> str:
    st = state_of(request)
    mid = st.new_id()
    st.media[mid] = {
        "owner": owner,
        "size": size,
        "kind": kind,
        "key": f"{KEY_PREFIX[kind]}_{mid}",
        "ready": ready,
        "chunks": {},
        "expires_at": st.now() + EXPIRES_AFTER,
        **extra,
    }
    return mid


def _data(mid: str, m: dict[str, Any], processing: bool = False) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": mid,
        "media_key": m["key"],
        "size": m["size"],
        "expires_after_secs": EXPIRES_AFTER,
    }
    if processing:
        data["processing_info"] = {"state": "pending", "check_after_secs": 1}
    return data


async def upload(request: Request) -> Response:
    st = state_of(request)
    if request.method == "GET":
        return _status(request)
    plan = await faults.plan(st, P, "media")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    tok = caller(request, "/2/media/upload")
    if isinstance(tok, Response):
        return tok
    p = await params(request)
    media = p.get("media")
    if isinstance(media, str):
        media = base64.b64decode(media)
    category = p.get("media_category")
    if not media or not category:
        return invalid("media and media_category are required")
    kind = kind_of(str(category), None)
    mid = _new(request, tok.account.user_id, len(media), kind, True, category=category)
    return json_response({"data": _data(mid, st.media[mid])})


def _status(request: Request) -> Response:
    st = state_of(request)
    tok = caller(request, "/2/media/upload")
    if isinstance(tok, Response):
        return tok
    mid = request.query_params.get("media_id", "")
    m = st.media.get(mid)
    if m is None or m.get("owner") != tok.account.user_id:
        return problem(404, "Not Found Error", "media not found")
    m["ready"] = True
    data = _data(mid, m)
    data["processing_info"] = {"state": "succeeded", "progress_percent": 100}
    return json_response({"data": data})


async def initialize(request: Request) -> Response:
    st = state_of(request)
    plan = await faults.plan(st, P, "media")
    early = await faults.before(plan, ANSWERS)
    if early is not None:
        return early
    tok = caller(request, "/2/media/upload/initialize")
    if isinstance(tok, Response):
        return tok
    p = await params(request)
    errors = list(validator("InitializeMediaUploadRequest").iter_errors(p))
    if errors:
        return invalid(errors[0].message)
    if not p.get("media_type") or not p.get("total_bytes"):
        return invalid("media_type and total_bytes are required")
    category = p.get("media_category")
    kind = kind_of(category, p["media_type"])
    mid = _new(
        request,
        tok.account.user_id,
        int(p["total_bytes"]),
        kind,
        False,
        type=p["media_type"],
        category=category,
    )
    m = st.media[mid]
    return json_response(
        {"data": {"id": mid, "media_key": m["key"], "expires_after_secs": EXPIRES_AFTER}}
    )


def _own(request: Request, path: str) -> tuple[str, dict[str, Any]] | Response:
    tok = caller(request, path)
    if isinstance(tok, Response):
        return tok
    mid = request.path_params["id"]
    m = state_of(request).media.get(mid)
    if m is None or m.get("owner") != tok.account.user_id:
        return problem(404, "Not Found Error", "media not found")
    return mid, m


async def append(request: Request) -> Response:
    found = _own(request, "/2/media/upload/{id}/append")
    if isinstance(found, Response):
        return found
    _, m = found
    p = await params(request)
    chunk = p.get("media") or b""
    m["chunks"][int(p.get("segment_index", 0))] = len(chunk)
    return json_response({"data": {"expires_at": int(state_of(request).now() + EXPIRES_AFTER)}})


async def finalize(request: Request) -> Response:
    found = _own(request, "/2/media/upload/{id}/finalize")
    if isinstance(found, Response):
        return found
    mid, m = found
    got = sum(m["chunks"].values())
    if got != m["size"]:
        return invalid(f"expected {m['size']} bytes, got {got}")
    video = m["kind"] == "video"
    m["ready"] = not video
    return json_response({"data": _data(mid, m, processing=video)})


routes = [
    Route("/x/2/media/upload", upload, methods=["GET", "POST"]),
    Route("/x/2/media/upload/initialize", initialize, methods=["POST"]),
    Route("/x/2/media/upload/{id}/append", append, methods=["POST"]),
    Route("/x/2/media/upload/{id}/finalize", finalize, methods=["POST"]),
]
