"""Answers serialized once, straight from their model.

An endpoint that returns a model has FastAPI validate it again against its
``response_model``, then dump it to a dict, then encode the dict. :func:`json_answer`
makes the same bytes in one step (pydantic's own JSON, as the compact JSON FastAPI
sends); the route keeps its ``response_model`` for the OpenAPI document.
"""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel

JSON = "application/json"


def json_answer(
    model: BaseModel, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        model.model_dump_json(), status_code=status_code, media_type=JSON, headers=headers
    )
