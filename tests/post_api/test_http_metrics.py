"""The API's latency histogram is labelled by route template, with bounded label values."""

from __future__ import annotations

import uuid

from prometheus_client import REGISTRY

NAME = "herald_http_request_duration_seconds_count"


def _count(**labels: str) -> float:
    return REGISTRY.get_sample_value(NAME, labels) or 0.0


async def test_paths_share_their_route_template_and_strays_share_one_label(client):
    post = {"method": "GET", "route": "/v1/posts/{post_id}", "status": "401"}
    stray = {"method": "GET", "route": "<unmatched>", "status": "404"}
    odd = {"method": "OTHER", "route": "<unmatched>", "status": "404"}
    before = (_count(**post), _count(**stray), _count(**odd))
    for _ in range(2):
        assert (await client.get(f"/v1/posts/{uuid.uuid4()}")).status_code == 401
    assert (await client.get(f"/no/such/{uuid.uuid4()}")).status_code == 404
    assert (await client.request("BREW", f"/no/such/{uuid.uuid4()}")).status_code == 404
    after = (_count(**post), _count(**stray), _count(**odd))
    assert [a - b for a, b in zip(after, before, strict=True)] == [2, 1, 1]
