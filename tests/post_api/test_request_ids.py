"""Every answer carries X-Request-ID: the caller's when it is sane, else a new one; the lines
logged for the request carry the same id (and the post's id where there is one)."""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import uuid

import pytest

from herald_common.logging import configure_logging
from tests.factories import register


@pytest.fixture
def json_logs(monkeypatch):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    monkeypatch.setattr(sys, "stderr", stream)
    configure_logging("DEBUG", "json", name="post-api")
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("req-2f0c1a7e", True),
        ("a:b.c_d-e", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("has space", False),
        ('quote"d', False),
        ("", False),
    ],
)
async def test_a_sane_incoming_id_is_kept_and_any_other_replaced(client, sent, kept):
    r = await client.get("/healthz", headers={"X-Request-ID": sent})
    if kept:
        assert r.headers["x-request-id"] == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", r.headers["x-request-id"])


async def test_errors_carry_the_id_and_each_request_gets_its_own(client):
    a = await client.get(f"/v1/posts/{uuid.uuid4()}")
    b = await client.post("/v1/auth/token", data={})
    assert a.status_code == 401
    assert b.status_code == 422
    assert a.headers["x-request-id"] != b.headers["x-request-id"]


async def test_lines_logged_for_a_request_carry_its_id_and_the_post_id(client, json_logs):
    caller = await register(client)
    missing = uuid.uuid4()
    r = await client.get(
        f"/v1/posts/{missing}", headers={**caller.headers, "X-Request-ID": "trace-me-1"}
    )
    assert r.status_code == 404
    lines = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    mine = [line for line in lines if line.get("request_id") == "trace-me-1"]
    assert mine, lines
    (access,) = [line for line in mine if line["logger"] == "herald.http"]
    # The route's template, never the raw path.
    assert access["msg"].startswith("GET /v1/posts/{post_id} 404 in ")
    assert access["post_id"] == str(missing)
