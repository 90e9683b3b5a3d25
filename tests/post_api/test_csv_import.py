"""POST /v1/posts/import: a CSV file of posts, a result per row with its line."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from herald_db.enums import Platform, PostStatus
from herald_db.models import Post
from tests.factories import connect_account, register

CONNECTED = (Platform.TWITTER, Platform.LINKEDIN, Platform.INSTAGRAM)
HEADER = ["content", "platforms", "scheduled_at", "timezone", "media_urls", "content_linkedin"]


@pytest.fixture
async def caller(client, sessionmaker, box):
    c = await register(client, timezone="America/New_York")
    for platform in CONNECTED:
        await connect_account(sessionmaker, box, c.id, platform)
    return c


def _local(days: int, minute: int) -> str:
    """A local wall-clock time (no offset) ``days`` ahead, read in the row's zone."""
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return f"{day.isoformat()}T09:{minute % 60:02d}:00"


def _csv(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


# A bad row as cells, the problem type it must be refused with and the column named.
def _bad(i: int) -> tuple[list[str], str, str | None]:
    text = f"bad row {i}"
    long_x, long_li = text + " " + "x" * 300, "y" * 3001
    too_long = "content-rule-violation"
    kinds: list[tuple[list[str], str, str | None]] = [
        ([text, "TWITTER", "2020-01-01T09:00:00Z", "", "", ""], "invalid-schedule", "scheduled_at"),
        ([text, "TWITTER|MYSPACE", _local(3, 1), "", "", ""], "validation-error", "platforms"),
        ([long_x, "twitter", _local(3, 2), "", "", ""], too_long, "content"),
        ([text, "INSTAGRAM", _local(3, 3), "", "", ""], "content-rule-violation", "media_urls"),
        ([text, "FACEBOOK", _local(3, 4), "", "", ""], "account-not-connected", "platforms"),
        ([text, "TWITTER", "next tuesday", "", "", ""], "validation-error", "scheduled_at"),
        ([text, "LINKEDIN", _local(3, 5), "Mars/Olympus", "", ""], "validation-error", "timezone"),
        ([text, "", _local(3, 6), "", "", ""], "validation-error", "platforms"),
        ([text, "LINKEDIN", _local(3, 7), "", "not a url", ""], "validation-error", "media_urls"),
        ([text, "LINKEDIN", _local(3, 8), "", "", long_li], too_long, "content_linkedin"),
        ([text, "LINKEDIN", _local(3, 9)], "csv-row-shape", None),
    ]  # fmt: skip
    return kinds[i % len(kinds)]


def _good(i: int) -> list[str]:
    if i % 3 == 0:
        return [f"good row {i}", "INSTAGRAM", _local(2, i), "", "https://example.com/a.jpg", ""]
    if i % 3 == 1:
        # A quoted cell over two lines, with a comma: the next row starts a line later.
        return [f"good row {i},\nsecond line", "twitter | linkedin", _local(2, i), "", "", "LI"]
    return [f"good row {i}", "LINKEDIN", _local(2, i), "Asia/Tokyo", "", ""]


def _lines(rows: list[list[str]]) -> list[int]:
    """The line each data row starts on (the header is line 1)."""
    lines, line = [], 2
    for row in rows:
        lines.append(line)
        line += 1 + sum(cell.count("\n") for cell in row)
    return lines


async def _posts_of(sessionmaker, user_id) -> list[Post]:
    async with sessionmaker() as s:
        return list((await s.execute(select(Post).where(Post.user_id == user_id))).scalars())


def _csv_headers(caller, **extra: str) -> dict[str, str]:
    return {**caller.headers, "content-type": "text/csv; charset=utf-8", **extra}


async def test_500_rows_with_bad_ones_create_exactly_the_good_posts(client, caller, sessionmaker):
    rows: list[list[str]] = []
    expected: dict[int, tuple[str, str | None]] = {}
    for i in range(500):
        if i % 9 == 4:
            row, slug, field = _bad(len(expected))
            expected[i] = (slug, field)
            rows.append(row)
        else:
            rows.append(_good(i))

    r = await client.post("/v1/posts/import", content=_csv(rows), headers=_csv_headers(caller))

    assert r.status_code == 200, r.text
    body = r.json()
    assert len(expected) == 56
    assert (body["created"], body["refused"]) == (500 - 56, 56)
    lines = _lines(rows)
    created: dict[uuid.UUID, int] = {}
    for i, res in enumerate(body["results"]):
        assert (res["index"], res["line"]) == (i, lines[i])
        if i in expected:
            slug, field = expected[i]
            assert res["status"] == "refused", (i, res)
            assert res["problem"]["type"].endswith("/" + slug), (i, res["problem"])
            assert res["problem"].get("field") == field, (i, res["problem"])
        else:
            assert res["status"] == "created", (i, res)
            created[uuid.UUID(res["post"]["id"])] = i

    stored = await _posts_of(sessionmaker, caller.id)
    assert {p.id for p in stored} == set(created)
    for p in stored:
        i = created[p.id]
        content, platforms, when, zone, media, linkedin = rows[i]
        assert p.content == content
        assert p.platforms == [s.strip().upper() for s in platforms.split("|")]
        assert p.media_urls == ([media] if media else [])
        assert p.content_variants == ({"LINKEDIN": linkedin} if linkedin else {})
        assert p.status is PostStatus.SCHEDULED
        zone = zone or "America/New_York"
        assert p.timezone == zone
        # The local wall-clock time, read in the row's zone (or the user's), stored in UTC.
        local = datetime.fromisoformat(when).replace(tzinfo=ZoneInfo(zone))
        assert p.scheduled_at == local.astimezone(UTC)


async def test_a_file_sent_as_a_form_part_is_read_the_same(client, caller, sessionmaker):
    data = _csv([_good(1), _bad(0)[0]])
    r = await client.post(
        "/v1/posts/import",
        files={"file": ("posts.csv", data, "text/csv")},
        headers=caller.headers,
    )
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == ["created", "refused"]
    assert len(await _posts_of(sessionmaker, caller.id)) == 1


async def test_columns_are_case_insensitive_and_in_any_order_with_a_bom(client, caller):
    data = "\ufeffPlatforms,CONTENT,Scheduled_At\nLINKEDIN,hello,2099-01-01T09:00:00Z\n"
    r = await client.post("/v1/posts/import", content=data.encode(), headers=_csv_headers(caller))
    assert r.status_code == 200, r.text
    post = r.json()["results"][0]["post"]
    assert (post["content"], post["platforms"]) == ("hello", ["LINKEDIN"])
    assert post["scheduled_at"].startswith("2099-01-01T09:00:00")


@pytest.mark.parametrize(
    ("data", "slug", "field"),
    [
        (b"", "invalid-csv", "file"),
        (b"content,platforms,colour\nx,TWITTER,red\n", "invalid-csv", "file"),
        (b"content,scheduled_at\nx,2099-01-01T09:00:00Z\n", "invalid-csv", "platforms"),
        (b"content,platforms,content\nx,TWITTER,y\n", "invalid-csv", "content"),
        (b"content,platforms\n\xff\xfe,TWITTER\n", "invalid-csv", "file"),
        (b'content,platforms\n"unclosed,TWITTER\n', "invalid-csv", "file"),
        (b"content,platforms\n" + b"x,LINKEDIN\n" * 501, "too-many-rows", "file"),
    ],
)
async def test_a_file_that_cannot_be_read_is_refused_whole(
    client, caller, sessionmaker, data, slug, field
):
    r = await client.post("/v1/posts/import", content=data, headers=_csv_headers(caller))
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["type"].endswith("/" + slug)
    assert r.json()["field"] == field
    assert await _posts_of(sessionmaker, caller.id) == []


async def test_500_rows_and_blank_lines_are_accepted(client, caller, sessionmaker):
    data = b"content,platforms\n" + b"x,LINKEDIN\n\n" * 500
    r = await client.post("/v1/posts/import", content=data, headers=_csv_headers(caller))
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 500
    assert r.json()["results"][-1]["line"] == 2 + 2 * 499
    assert len(await _posts_of(sessionmaker, caller.id)) == 500


@pytest.mark.parametrize(
    "content_type", ["application/json", "text/plain", "text/csv; charset=latin-1", None]
)
async def test_other_media_types_are_refused(client, caller, content_type):
    headers = dict(caller.headers)
    if content_type:
        headers["content-type"] = content_type
    r = await client.post("/v1/posts/import", content=b"content,platforms\n", headers=headers)
    assert r.status_code == 415, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


async def test_a_form_without_the_file_part_is_refused(client, caller):
    r = await client.post(
        "/v1/posts/import",
        files={"other": ("posts.csv", b"content,platforms\nx,LINKEDIN\n", "text/csv")},
        headers=caller.headers,
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["field"] == "file"


async def test_an_import_replays_for_its_idempotency_key(client, caller, sessionmaker):
    headers = _csv_headers(caller, **{"Idempotency-Key": "csv-" + uuid.uuid4().hex})
    data = _csv([_good(1), _good(2), _bad(0)[0]])
    first = await client.post("/v1/posts/import", content=data, headers=headers)
    again = await client.post("/v1/posts/import", content=data, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert len(await _posts_of(sessionmaker, caller.id)) == 2
    changed = await client.post("/v1/posts/import", content=_csv([_good(4)]), headers=headers)
    assert changed.status_code == 422
    assert changed.json()["field"] == "Idempotency-Key"
    assert len(await _posts_of(sessionmaker, caller.id)) == 2


async def test_a_file_refused_whole_leaves_its_key_free(client, caller, sessionmaker):
    headers = _csv_headers(caller, **{"Idempotency-Key": "csv-" + uuid.uuid4().hex})
    bad = await client.post("/v1/posts/import", content=b"colour\nred\n", headers=headers)
    assert bad.status_code == 422
    good = await client.post("/v1/posts/import", content=_csv([_good(2)]), headers=headers)
    assert good.status_code == 200
    assert good.json()["created"] == 1
