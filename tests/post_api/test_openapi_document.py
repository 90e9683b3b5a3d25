"""The OpenAPI document says what the API does: error content, statuses, links, 405s."""

from __future__ import annotations

import pytest

from tests.factories import register


async def test_every_error_answer_is_documented_as_problem_json(client):
    doc = (await client.get("/openapi.json")).json()
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    errors = [
        (path, method, code, response)
        for path, operations in doc["paths"].items()
        for method, operation in operations.items()
        for code, response in operation["responses"].items()
        if code.startswith("4")
    ]
    assert errors
    for path, method, code, response in errors:
        assert list(response["content"]) == ["application/problem+json"], (path, method, code)
    with_body = [
        operation
        for operations in doc["paths"].values()
        for operation in operations.values()
        if "requestBody" in operation
    ]
    for operation in with_body:
        assert {"400", "413", "422"} <= set(operation["responses"]), operation["operationId"]


async def test_links_lead_from_a_new_post_and_webhook_to_their_operations(client):
    doc = (await client.get("/openapi.json")).json()
    post_links = doc["paths"]["/v1/posts"]["post"]["responses"]["201"]["links"]
    assert {"GetPost", "UpdatePost", "SchedulePost", "DeletePost"} <= set(post_links)
    assert post_links["GetPost"]["parameters"] == {"post_id": "$response.body#/id"}
    ids = {op["operationId"] for ops in doc["paths"].values() for op in ops.values()}
    hook_links = doc["paths"]["/v1/webhooks"]["post"]["responses"]["201"]["links"]
    for link in [*post_links.values(), *hook_links.values()]:
        assert link["operationId"] in ids


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("PUT", "/v1/posts", "GET, POST"),
        ("OPTIONS", "/v1/me", "GET, PATCH"),
        ("PATCH", "/v1/posts/batch", "POST"),
        ("GET", "/v1/posts/import", "POST"),
        ("PUT", "/v1/calendar/feed", "DELETE, GET, POST"),
    ],
)
async def test_405_lists_every_method_the_path_answers(client, method, path, allow):
    caller = await register(client)
    r = await client.request(method, path, headers=caller.headers)
    assert r.status_code == 405, r.text
    assert r.headers["allow"] == allow
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_list_filter_takes_an_iso_time_only(client):
    caller = await register(client)
    r = await client.get("/v1/posts", params={"to": "0.5"}, headers=caller.headers)
    assert r.status_code == 422
    assert r.json()["field"] == "to"
