"""Wire shapes of bulk creation: PostBatch in, BatchResult out, and their examples."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from herald_post_api.openapi import Problem
from herald_post_api.posts.schemas import PostRead

MAX_ROWS = 500

# Every object is accepted as an item and checked on its own: one that is not a valid
# PostCreate is refused in its own result while the others go ahead. So the document says
# "PostCreate, or any other object", which is exactly what the endpoint takes.
BatchItem = Annotated[
    dict[str, Any],
    WithJsonSchema(
        {
            "anyOf": [{"$ref": "#/components/schemas/PostCreate"}, {"type": "object"}],
            "description": "A post, as the body of `POST /v1/posts`. An item that is not "
            "a valid PostCreate is refused in its own result and does not stop the others.",
        }
    ),
]


class PostBatch(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "posts": [
                        {
                            "content": "Doors open at 9 tomorrow.",
                            "platforms": ["TWITTER", "LINKEDIN"],
                            "scheduled_at": "2027-03-01T09:00:00",
                            "timezone": "Europe/Paris",
                        },
                        {
                            "content": "Last call for the early-bird price!",
                            "platforms": ["FACEBOOK"],
                            "scheduled_at": "2027-03-02T17:30:00Z",
                        },
                    ]
                }
            ]
        },
    )

    posts: list[BatchItem] = Field(
        min_length=1,
        max_length=MAX_ROWS,
        description=f"1 to {MAX_ROWS} posts, each as the body of `POST /v1/posts`.",
    )


class RowProblem(Problem):
    """Why a row was refused: an RFC 9457 problem (status 422) whose `field` is the row's."""

    model_config = ConfigDict(extra="allow")


class RowResult(BaseModel):
    index: int = Field(
        ge=0,
        description="The row's position: in `posts` for a batch, among the data rows of a CSV "
        "file (the header not counted); from 0.",
    )
    line: int | None = Field(
        None, ge=2, description="CSV only: the line of the file the row starts on (header: 1)."
    )
    status: Literal["created", "refused"]
    post: PostRead | None = Field(None, description="The post created (when `created`).")
    problem: RowProblem | None = Field(None, description="Why not (when `refused`).")


class BatchResult(BaseModel):
    created: int = Field(ge=0, description="Rows that became posts.")
    refused: int = Field(ge=0, description="Rows that created nothing.")
    results: list[RowResult] = Field(description="One result per row, in the rows' order.")


_CREATED: dict[str, Any] = {
    "id": "0b6f3f4e-8e0a-4c43-9a57-2f0f6b1f4d10",
    "status": "SCHEDULED",
    "content": "Doors open at 9 tomorrow.",
    "media_urls": [],
    "platforms": ["TWITTER", "LINKEDIN"],
    "content_variants": {},
    "scheduled_at": "2027-03-01T08:00:00Z",
    "scheduled_at_local": "2027-03-01T09:00:00+01:00",
    "timezone": "Europe/Paris",
    "created_at": "2026-11-26T10:00:00Z",
    "updated_at": "2026-11-26T10:00:00Z",
    "completed_at": None,
    "results": [],
}

EXAMPLE_RESULT: dict[str, Any] = {
    "created": 1,
    "refused": 1,
    "results": [
        {"index": 0, "line": None, "status": "created", "post": _CREATED, "problem": None},
        {
            "index": 1,
            "line": None,
            "status": "refused",
            "post": None,
            "problem": {
                "type": "https://herald.dev/problems/account-not-connected",
                "title": "No active account on a target platform",
                "status": 422,
                "detail": "Connect an account first: no active account for FACEBOOK.",
                "field": "platforms",
                "missing": ["FACEBOOK"],
            },
        },
    ],
}

CSV_EXAMPLE = (
    "content,platforms,scheduled_at,timezone,media_urls\n"
    "Doors open at 9 tomorrow.,TWITTER|LINKEDIN,2027-03-01T09:00:00,Europe/Paris,\n"
    '"Our new poster, fresh from the press",INSTAGRAM,2027-03-01T12:00:00Z,,'
    "https://example.com/poster.jpg\n"
)
