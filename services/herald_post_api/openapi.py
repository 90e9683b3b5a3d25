"""The OpenAPI document: each endpoint's problem+json errors, and the finishing pass that
makes the whole document say what the API does (error content, statuses, links)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

_DESCRIPTIONS = {
    400: "The body cannot be read (not JSON, not UTF-8)",
    401: "Missing, invalid or expired bearer token",
    404: "Not found, or not the caller's",
    409: "Conflict with the resource's current state",
    413: "Request body over 1 MiB",
    422: "Invalid input; `field` names the offending field",
    429: "Too many attempts; retry after `Retry-After` seconds",
}


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    field: str | None = None
    errors: list[dict[str, Any]] | None = None


_HEADERS: dict[int, dict[str, Any]] = {
    429: {
        "Retry-After": {
            "description": "Seconds to wait before trying again",
            "schema": {"type": "integer", "minimum": 1},
        }
    },
}


def problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    return {
        code: {
            "model": Problem,
            "description": _DESCRIPTIONS.get(code, "Error"),
            "content": {"application/problem+json": {}},
            **({"headers": _HEADERS[code]} if code in _HEADERS else {}),
        }
        for code in codes
    }


# --- the document as a whole -------------------------------------------------------------

PROBLEM_CONTENT = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}

# Links let a client (and a stateful test) follow what one answer makes to what uses it:
# (path, method, status of the answer, link name, target path, target method, parameters).
_POST_USES = (
    ("GetPost", "/v1/posts/{post_id}", "get"),
    ("UpdatePost", "/v1/posts/{post_id}", "patch"),
    ("SchedulePost", "/v1/posts/{post_id}/schedule", "post"),
    ("UnschedulePost", "/v1/posts/{post_id}/unschedule", "post"),
    ("RetryPost", "/v1/posts/{post_id}/retry", "post"),
    ("GetPostAttempts", "/v1/posts/{post_id}/attempts", "get"),
    ("GetPostAnalytics", "/v1/posts/{post_id}/analytics", "get"),
    ("DeletePost", "/v1/posts/{post_id}", "delete"),
)
_WEBHOOK_USES = (
    ("GetWebhook", "/v1/webhooks/{webhook_id}", "get"),
    ("UpdateWebhook", "/v1/webhooks/{webhook_id}", "patch"),
    ("RotateWebhookSecret", "/v1/webhooks/{webhook_id}/rotate-secret", "post"),
    ("GetWebhookDeliveries", "/v1/webhooks/{webhook_id}/deliveries", "get"),
    ("DeleteWebhook", "/v1/webhooks/{webhook_id}", "delete"),
)
_LINKS: list[tuple[str, str, str, str, str, str, dict[str, str]]] = [
    *(
        (source, verb, status, name, target, method, {"post_id": "$response.body#/id"})
        for source, verb, status in (
            ("/v1/posts", "post", "201"),
            ("/v1/posts/{post_id}", "patch", "200"),
            ("/v1/posts/{post_id}/schedule", "post", "200"),
            ("/v1/posts/{post_id}/unschedule", "post", "200"),
        )
        for name, target, method in _POST_USES
    ),
    *(
        ("/v1/webhooks", "post", "201", name, target, method, {"webhook_id": "$response.body#/id"})
        for name, target, method in _WEBHOOK_USES
    ),
]


def finish(schema: dict[str, Any]) -> dict[str, Any]:
    """Make the generated document say what the API does.

    - Every error answer is ``application/problem+json`` with the ``Problem`` schema
      (FastAPI's own 422 shape is never sent).
    - An operation with a body can also answer 400 (a body that is not JSON or UTF-8), 413
      (over the size limit) and 422 (a NUL character, refused before validation); one with
      parameters can answer 422.
    - Links from what makes posts and webhooks to what uses them.
    """
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    components["Problem"] = Problem.model_json_schema()
    operation_ids: dict[tuple[str, str], str] = {}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            operation_ids[(path, method)] = operation["operationId"]
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                for code in (400, 413, 422):
                    responses.setdefault(str(code), {"description": _DESCRIPTIONS[code]})
            if operation.get("parameters"):
                responses.setdefault("422", {"description": _DESCRIPTIONS[422]})
            for code, response in responses.items():
                if code.startswith("4"):
                    response["content"] = PROBLEM_CONTENT
    for source, method, status, name, target, target_method, parameters in _LINKS:
        response = schema["paths"][source][method]["responses"][status]
        response.setdefault("links", {})[name] = {
            "operationId": operation_ids[(target, target_method)],
            "parameters": parameters,
        }
    return schema
