"""X's own OpenAPI description (v2.167), for validating requests and responses against it."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    ref = resources.files("herald_platforms") / "reference" / "x-api-v2-openapi.json"
    data: dict[str, Any] = json.loads(ref.read_text())
    return data


@lru_cache(maxsize=16)
def validator(schema_name: str) -> jsonschema.protocols.Validator:
    """A validator for ``#/components/schemas/<schema_name>``, with every $ref resolvable."""
    root = {"$ref": f"#/components/schemas/{schema_name}", "components": spec()["components"]}
    cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft202012Validator)
    return cls(root)


def request_schema(path: str, method: str = "post") -> str:
    body = spec()["paths"][path][method]["requestBody"]["content"]
    media = body.get("application/json") or next(iter(body.values()))
    return str(media["schema"]["$ref"]).rsplit("/", 1)[-1]


def response_schema(path: str, status: str, method: str = "post") -> str:
    content = spec()["paths"][path][method]["responses"][status]["content"]
    return str(content["application/json"]["schema"]["$ref"]).rsplit("/", 1)[-1]
