"""Inputs the API cannot use answer 422 problem+json naming the field, never 500.

Dates outside what a UTC instant can hold, NUL characters in any string, over-long time
zones and strings, and cursors edited by hand, on every route that takes them.
"""

from __future__ import annotations

import base64
import uuid

import pytest

from tests.factories import connect_all, create_post, in_future, register

PROBLEM = "application/problem+json"


@pytest.fixture
async def caller(client, sessionmaker, box):
    c = await register(client)
    await connect_all(sessionmaker, box, c.id)
    return c


def _refused(r, field: str) -> None:
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert r.json()["field"] == field, r.json()


# --- dates past the representable range -------------------------------------------------

OUT_OF_RANGE = [
    "0001-01-01T00:00:00+01:00",  # year 0 in UTC
    "9999-12-31T23:30:00-01:00",  # year 10000 in UTC
]


@pytest.mark.parametrize("when", OUT_OF_RANGE)
async def test_create_with_a_time_outside_utc_is_refused(client, caller, when):
    body = {"content": "x", "platforms": ["TWITTER"], "scheduled_at": when}
    _refused(await client.post("/v1/posts", json=body, headers=caller.headers), "scheduled_at")


@pytest.mark.parametrize(
    ("when", "zone"),
    [("0001-01-01T00:30:00", "Asia/Tokyo"), ("9999-12-31T23:30:00", "America/New_York")],
)
async def test_local_time_outside_utc_is_refused(client, caller, when, zone):
    body = {"content": "x", "platforms": ["TWITTER"], "scheduled_at": when, "timezone": zone}
    _refused(await client.post("/v1/posts", json=body, headers=caller.headers), "scheduled_at")


@pytest.mark.parametrize("when", OUT_OF_RANGE)
async def test_update_and_schedule_with_a_time_outside_utc_are_refused(client, caller, when):
    post = await create_post(client, caller, content="x", platforms=["TWITTER"])
    url = f"/v1/posts/{post['id']}"
    r = await client.patch(url, json={"scheduled_at": when}, headers=caller.headers)
    _refused(r, "scheduled_at")
    r = await client.post(url + "/schedule", json={"scheduled_at": when}, headers=caller.headers)
    _refused(r, "scheduled_at")


@pytest.mark.parametrize("when", OUT_OF_RANGE)
@pytest.mark.parametrize("name", ["from", "to"])
async def test_list_filter_outside_utc_is_refused(client, caller, when, name):
    r = await client.get("/v1/posts", params={name: when}, headers=caller.headers)
    _refused(r, name)


# --- NUL characters ---------------------------------------------------------------------


async def test_nul_in_content_is_refused(client, caller):
    body = {"content": "a\x00b", "platforms": ["TWITTER"]}
    _refused(await client.post("/v1/posts", json=body, headers=caller.headers), "content")


async def test_nul_in_a_variant_and_in_a_batch_row_names_the_path(client, caller):
    body = {"content": "a", "platforms": ["TWITTER"], "content_variants": {"TWITTER": "\x00"}}
    r = await client.post("/v1/posts", json=body, headers=caller.headers)
    _refused(r, "content_variants.TWITTER")
    rows = {"posts": [{"content": "ok", "platforms": ["TWITTER"]}, {**body, "content": "\x00"}]}
    r = await client.post("/v1/posts/batch", json=rows, headers=caller.headers)
    _refused(r, "posts.1.content")


async def test_nul_in_registration_login_and_profile_is_refused(client, caller):
    r = await client.post(
        "/v1/auth/register",
        json={"email": "a@example.com", "password": "long enough\x00", "timezone": "UTC"},
    )
    _refused(r, "password")
    r = await client.post("/v1/auth/token", data={"username": "a\x00@example.com", "password": "x"})
    _refused(r, "username")
    r = await client.patch("/v1/me", json={"timezone": "Europe/Paris\x00"}, headers=caller.headers)
    _refused(r, "timezone")


async def test_nul_in_webhook_fields_is_refused(client, caller):
    body = {"url": "https://hooks.example.com/a\x00", "description": "x"}
    _refused(await client.post("/v1/webhooks", json=body, headers=caller.headers), "url")
    body = {"url": "https://hooks.example.com/a", "description": "\x00"}
    _refused(await client.post("/v1/webhooks", json=body, headers=caller.headers), "description")


async def test_nul_in_a_query_parameter_is_refused(client, caller):
    r = await client.get("/v1/posts", params={"cursor": "abc\x00"}, headers=caller.headers)
    _refused(r, "cursor")
    r = await client.get("/v1/accounts/TWITTER/callback", params={"state": "s\x00", "code": "c"})
    _refused(r, "state")


async def test_a_json_string_that_only_spells_backslash_u0000_is_kept(client, caller):
    body = {"content": "a \\u0000 b", "platforms": ["LINKEDIN"]}
    r = await client.post("/v1/posts", json=body, headers=caller.headers)
    assert r.status_code == 201, r.text
    assert r.json()["content"] == "a \\u0000 b"


async def test_nul_in_an_imported_csv_cell_refuses_that_row(client, caller):
    csv = "content,platforms\nfine,TWITTER\nbad\x00,TWITTER\n"
    r = await client.post(
        "/v1/posts/import",
        content=csv.encode(),
        headers={**caller.headers, "content-type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["created", "refused"]
    assert results[1]["problem"]["field"] == "content"


# --- over-long zones and strings --------------------------------------------------------


@pytest.mark.parametrize("zone", ["A" * 80, "Europe/" + "x" * 300, "Not/AZone"])
async def test_bad_or_over_long_zone_is_refused_everywhere(client, caller, zone):
    body = {"content": "x", "platforms": ["TWITTER"], "scheduled_at": in_future(), "timezone": zone}
    _refused(await client.post("/v1/posts", json=body, headers=caller.headers), "timezone")
    r = await client.patch("/v1/me", json={"timezone": zone}, headers=caller.headers)
    _refused(r, "timezone")
    r = await client.post(
        "/v1/auth/register",
        json={
            "email": f"{uuid.uuid4().hex}@example.com",
            "password": "a long one",
            "timezone": zone,
        },
    )
    _refused(r, "timezone")


async def test_over_long_strings_are_refused_by_their_limit(client, caller):
    over = "x" * 100_001
    body = {"content": "a", "platforms": ["TWITTER"], "content_variants": {"TWITTER": over}}
    r = await client.post("/v1/posts", json=body, headers=caller.headers)
    _refused(r, "content_variants.TWITTER")
    r = await client.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.com/a", "description": "d" * 256},
        headers=caller.headers,
    )
    _refused(r, "description")
    r = await client.get("/v1/notifications", params={"cursor": "a" * 500}, headers=caller.headers)
    _refused(r, "cursor")


# --- tampered cursors -------------------------------------------------------------------


def _cursor(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


TAMPERED = [
    "%%%",
    "bm90IGEgY3Vyc29y",  # "not a cursor"
    _cursor("2026-01-01T00:00:00+00:00|not-a-uuid"),
    _cursor(f"0001-01-01T00:00:00+01:00|{uuid.uuid4()}"),
    _cursor(f"9999-12-31T23:30:00-01:00|{uuid.uuid4()}"),
    _cursor(f"2026-01-01T00:00:00|{uuid.uuid4()}"),  # no offset
    _cursor(f"yesterday|{uuid.uuid4()}"),
    base64.urlsafe_b64encode(b"\xff\xfe|\x00").decode(),
]


@pytest.mark.parametrize("cursor", TAMPERED)
@pytest.mark.parametrize("path", ["/v1/posts", "/v1/notifications"])
async def test_tampered_cursor_is_refused(client, caller, cursor, path):
    r = await client.get(path, params={"cursor": cursor}, headers=caller.headers)
    _refused(r, "cursor")


async def test_tampered_cursor_on_webhook_deliveries_is_refused(client, caller):
    r = await client.post(
        "/v1/webhooks", json={"url": "https://hooks.example.com/a"}, headers=caller.headers
    )
    assert r.status_code == 201, r.text
    url = f"/v1/webhooks/{r.json()['id']}/deliveries"
    for cursor in TAMPERED:
        _refused(await client.get(url, params={"cursor": cursor}, headers=caller.headers), "cursor")
