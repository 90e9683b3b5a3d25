"""X's own OpenAPI description (v2.167), the simulator's copy: it judges request bodies, query
parameters and the OAuth 2.0 scopes each endpoint needs, as X does.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any

import jsonschema
from starlette.datastructures import QueryParams

# The data dictionary's Post fields. X's v2.167 description renames some of them
# (note_tweet -> note_post, ...) and leaves others out (author_id); X still accepts them.
TWEET_FIELDS = frozenset(
    {
        "attachments",
        "author_id",
        "context_annotations",
        "conversation_id",
        "created_at",
        "edit_controls",
        "edit_history_tweet_ids",
        "entities",
        "geo",
        "id",
        "in_reply_to_user_id",
        "lang",
        "non_public_metrics",
        "note_tweet",
        "organic_metrics",
        "possibly_sensitive",
        "promoted_metrics",
        "public_metrics",
        "referenced_tweets",
        "reply_settings",
        "source",
        "text",
        "withheld",
    }
)


@lru_cache(maxsize=1)
def spec() -> dict[str, Any]:
    ref = resources.files("herald_platform_sim") / "reference" / "x-api-v2-openapi.json"
    data: dict[str, Any] = json.loads(ref.read_text())
    return data


def _validator(schema: dict[str, Any]) -> jsonschema.protocols.Validator:
    root = {**schema, "components": spec()["components"]}
    cls = jsonschema.validators.validator_for(root, default=jsonschema.Draft202012Validator)
    return cls(root)


@lru_cache(maxsize=32)
def validator(schema_name: str) -> jsonschema.protocols.Validator:
    """A validator for ``#/components/schemas/<schema_name>``, with every $ref resolvable."""
    return _validator({"$ref": f"#/components/schemas/{schema_name}"})


def _operation(path: str, method: str) -> dict[str, Any]:
    op: dict[str, Any] = spec()["paths"][path][method.lower()]
    return op


@lru_cache(maxsize=64)
def scopes(path: str, method: str) -> frozenset[str]:
    """The OAuth 2.0 user-token scopes the endpoint's security block names."""
    for option in _operation(path, method).get("security", []):
        if "OAuth2UserToken" in option:
            return frozenset(option["OAuth2UserToken"])
    return frozenset()


@lru_cache(maxsize=64)
def _query_parameters(path: str, method: str) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for param in _operation(path, method).get("parameters", []):
        if "$ref" in param:
            param = spec()["components"]["parameters"][param["$ref"].rsplit("/", 1)[-1]]
        if param.get("in") == "query":
            out[param["name"]] = param
    if "post.fields" in out:
        # Documented everywhere as tweet.fields; X answers both.
        out["tweet.fields"] = out["post.fields"]
    return out


@lru_cache(maxsize=128)
def _param_validator(path: str, method: str, name: str) -> jsonschema.protocols.Validator:
    schema = dict(_query_parameters(path, method)[name]["schema"])
    if name in ("post.fields", "tweet.fields"):
        items = dict(schema["items"])
        items["enum"] = sorted(set(items["enum"]) | TWEET_FIELDS)
        schema["items"] = items
    return _validator(schema)


def _coerce(schema: dict[str, Any], raw: str) -> Any:
    kind = schema.get("type")
    if kind == "array":
        return raw.split(",")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            return raw
    return raw


def query_errors(path: str, method: str, query: QueryParams) -> list[dict[str, Any]]:
    """X's ``errors`` entries for the query parameters it would refuse (empty: all fine)."""
    declared = _query_parameters(path, method)
    errors: list[dict[str, Any]] = []
    for name in query:
        if name not in declared:
            errors.append(
                {
                    "parameters": {name: query.getlist(name)},
                    "message": f"The query parameter [{name}] is not one of "
                    f"[{','.join(sorted(declared))}]",
                }
            )
    for name, param in declared.items():
        if name not in query:
            if param.get("required"):
                errors.append(
                    {
                        "parameters": {name: []},
                        "message": f"The `{name}` query parameter can not be empty",
                    }
                )
            continue
        raw = query[name]
        schema = param["schema"]
        value = _coerce(schema, raw)
        low, high = schema.get("minimum"), schema.get("maximum")
        if isinstance(value, int) and low is not None and high is not None:
            if not low <= value <= high:
                errors.append(
                    {
                        "parameters": {name: [raw]},
                        "message": f"The `{name}` query parameter value [{raw}] is not between "
                        f"{low} and {high}",
                    }
                )
            continue
        problems = sorted(_param_validator(path, method, name).iter_errors(value), key=str)
        if problems:
            errors.append(
                {
                    "parameters": {name: [raw]},
                    "message": f"The `{name}` query parameter value [{raw}] is not valid: "
                    f"{problems[0].message}",
                }
            )
    return errors
