"""``POST /v1/posts/batch`` (JSON) and ``POST /v1/posts/import`` (CSV): many posts at once."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import UploadFile

from herald_db.models import User
from herald_post_api.cpu import CpuPool
from herald_post_api.deps import CpuDep, CurrentUser, Now, SessionDep, SettingsDep
from herald_post_api.openapi import problems
from herald_post_api.posts import bulk, csv_rows, idempotency
from herald_post_api.posts.bulk_schemas import (
    CSV_EXAMPLE,
    EXAMPLE_RESULT,
    MAX_ROWS,
    BatchResult,
    PostBatch,
)
from herald_post_api.settings import PostApiSettings

router = APIRouter(prefix="/v1/posts", tags=["posts"])

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=idempotency.MAX_KEY_LENGTH,
        pattern=idempotency.KEY_PATTERN,
        description="Makes a retry safe: a repeat with the same key and body within 24 hours "
        "answers the first result again (`Idempotent-Replayed: true`) and creates nothing.",
    ),
]

_RESULT: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One result per row: created (with the post) or refused (with why). "
        "Refused rows created nothing; the created ones are committed.",
        "content": {"application/json": {"example": EXAMPLE_RESULT}},
    }
}

_ROW_RULES = (
    "Each row is checked as `POST /v1/posts` checks its body (schema, time and zone, content "
    "rules per platform, connected accounts). A row that breaks a rule is refused in its own "
    "result with an RFC 9457 problem naming the field; the good rows are created together, "
    "in one transaction committed before the answer. "
)
_IDEMPOTENCY = (
    "Send an `Idempotency-Key` header to make retries safe: a repeat with the same key and "
    "body within 24 hours answers the first result again (`Idempotent-Replayed: true`) and "
    "creates nothing; the same key with another body answers 422."
)


async def _run(
    request: Request,
    session: AsyncSession,
    user: User,
    settings: PostApiSettings,
    now: datetime,
    key: str | None,
    fingerprint: str,
    rows: list[bulk.Row],
    field_name: bulk.FieldNamer,
    cpu: CpuPool,
) -> Response:
    """Replay an earlier answer for the key, or create the rows and keep the answer."""
    key = idempotency.validate_key(key) if key is not None else None
    if key is not None:
        earlier = await idempotency.claim(
            session,
            user_id=user.id,
            key=key,
            method="POST",
            path=request.url.path,
            fingerprint=fingerprint,
            now=now,
            ttl=timedelta(hours=settings.idempotency_ttl_hours),
        )
        if earlier is not None:
            return JSONResponse(
                earlier.response_body,
                status_code=earlier.status_code or 200,
                headers={"Idempotent-Replayed": "true"},
            )
    result = await bulk.create_many(session, user, rows, now, field_name=field_name, cpu=cpu)
    body = result.model_dump(mode="json")
    if key is not None:
        await idempotency.store(session, user_id=user.id, key=key, status_code=200, body=body)
    return JSONResponse(body, status_code=200)


@router.post(
    "/batch",
    response_model=BatchResult,
    responses={**_RESULT, **problems(401, 409, 413, 422)},
    summary=f"Create up to {MAX_ROWS} posts in one request",
    description=_ROW_RULES
    + "The request is refused whole (422) only when it is not an object with 1 to "
    + f"{MAX_ROWS} `posts`, each an object. "
    + _IDEMPOTENCY,
)
async def create_batch(
    data: PostBatch,
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    now: Now,
    cpu: CpuDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    fingerprint = idempotency.request_hash(data.model_dump(mode="json"))
    return await _run(
        request,
        session,
        user,
        settings,
        now,
        idempotency_key,
        fingerprint,
        [bulk.Row(index=i, values=item) for i, item in enumerate(data.posts)],
        bulk.dotted,
        cpu,
    )


_CSV_BODY = {
    "required": True,
    "description": "A CSV file with a header row, at most "
    f"{MAX_ROWS} data rows and 1 MiB: as the whole body (`text/csv`, UTF-8), or as the part "
    "named `file` of a form. Columns: `content` and `platforms` (required), `scheduled_at`, "
    "`timezone`, `media_urls`, `status`, and `content_twitter`, `content_instagram`, "
    "`content_linkedin`, `content_facebook` for per-platform text. Several platforms or media "
    "URLs in one cell are separated by `|`. An empty cell is an absent field.",
    "content": {
        "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}},
                # The form is read with one part at most: any other part answers 400.
                "additionalProperties": False,
            },
        },
    },
}


@router.post(
    "/import",
    response_model=BatchResult,
    responses={**_RESULT, **problems(400, 401, 409, 413, 415, 422)},
    summary=f"Create up to {MAX_ROWS} posts from a CSV file",
    description=_ROW_RULES
    + "`line` in each result is the line of the file the row starts on. The file is refused "
    + "whole (422, `field`: `file` or the column) when it is not UTF-8 CSV, its header names an "
    + "unknown column or lacks a required one, or it has more than "
    + f"{MAX_ROWS} rows. "
    + _IDEMPOTENCY,
    openapi_extra={"requestBody": _CSV_BODY},
)
async def import_csv(
    request: Request,
    user: CurrentUser,
    session: SessionDep,
    settings: SettingsDep,
    now: Now,
    cpu: CpuDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    data = await _csv_bytes(request)
    # The file is read (cheaply, and only as far as the row limit) before the key is taken,
    # so a file refused whole leaves the key free.
    rows = csv_rows.read(data)
    return await _run(
        request,
        session,
        user,
        settings,
        now,
        idempotency_key,
        hashlib.sha256(data).hexdigest(),
        rows,
        csv_rows.column_of,
        cpu,
    )


async def _csv_bytes(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media == "text/csv":
        charset = _param(params, "charset")
        if charset not in (None, "utf-8", "utf8"):
            raise csv_rows.UnsupportedMediaType(
                f"The CSV must be UTF-8, not {charset}.", field="content-type"
            )
        return await request.body()
    if media == "multipart/form-data":
        async with request.form(max_files=1, max_fields=1) as form:
            part = form.get("file")
            if isinstance(part, UploadFile):
                return await part.read()
            if isinstance(part, str):
                return part.encode()
        raise csv_rows.InvalidCsv("Send the CSV as the form part named 'file'.", field="file")
    raise csv_rows.UnsupportedMediaType(
        "Send the CSV as text/csv, or as the part named 'file' of multipart/form-data.",
        field="content-type",
    )


def _param(params: str, name: str) -> str | None:
    for item in params.split(";"):
        key, _, value = item.partition("=")
        if key.strip().lower() == name:
            return value.strip().strip('"').lower()
    return None


# ``/v1/posts/batch`` and ``/v1/posts/import`` also fit ``/v1/posts/{post_id}``: without
# these, ``GET /v1/posts/batch`` would answer 422 (not a post id) instead of 405.
_OTHER_METHODS = ["GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


@router.api_route("/batch", methods=_OTHER_METHODS, include_in_schema=False)
@router.api_route("/import", methods=_OTHER_METHODS, include_in_schema=False)
async def _post_only() -> None:
    raise HTTPException(status.HTTP_405_METHOD_NOT_ALLOWED, "Method Not Allowed")
