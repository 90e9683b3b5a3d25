"""The secret iCalendar feed: made, read with its address alone, rotated and revoked."""

from __future__ import annotations

import hashlib
import logging
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select, text, update

from herald_common.logging import redact
from herald_db.enums import Platform, PostStatus, ResultStatus
from herald_db.models import CalendarFeed, Post, PostPlatformResult
from tests.factories import connect_all, register


@pytest.fixture
async def caller(client, sessionmaker, box):
    c = await register(client, timezone="Europe/Paris")
    await connect_all(sessionmaker, box, c.id)
    return c


async def _make_feed(client, caller) -> dict:
    r = await client.post("/v1/calendar/feed", headers=caller.headers)
    assert r.status_code == 201, r.text
    return r.json()


async def _fetch(client, url: str) -> httpx.Response:
    """The feed as a calendar app fetches it: its address alone, no bearer token."""
    return await client.get(httpx.URL(url).path)


def _events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def _minute(days: float, minute: int = 0) -> datetime:
    start = (datetime.now(UTC) + timedelta(days=days)).replace(second=0, microsecond=0)
    return start.replace(minute=minute)


async def test_the_feed_lists_scheduled_and_published_posts_at_their_utc_times(
    client, caller, sessionmaker
):
    local = _minute(5).replace(tzinfo=None, hour=9, minute=30)
    with_offset = _minute(6, 15)
    batch = await client.post(
        "/v1/posts/batch",
        json={
            "posts": [
                {
                    "content": "Doors open at 9:30, local time\nSecond line",
                    "platforms": ["TWITTER", "LINKEDIN"],
                    "scheduled_at": local.isoformat(),
                },
                {
                    "content": "Offset time",
                    "platforms": ["FACEBOOK"],
                    "scheduled_at": with_offset.isoformat(),
                    "content_variants": {"FACEBOOK": "Longer text for Facebook"},
                },
                {"content": "A draft", "platforms": ["TWITTER"]},
                {
                    "content": "Went out",
                    "platforms": ["LINKEDIN"],
                    "scheduled_at": local.isoformat(),
                },
            ]
        },
        headers=caller.headers,
    )
    assert batch.status_code == 200, batch.text
    ids = [r["post"]["id"] for r in batch.json()["results"]]
    scheduled, offset, draft, published = ids
    published_at = datetime.now(UTC).replace(microsecond=0)
    async with sessionmaker() as s:
        await s.execute(
            update(Post).where(Post.id == uuid.UUID(published)).values(status=PostStatus.PUBLISHED)
        )
        s.add(
            PostPlatformResult(
                post_id=uuid.UUID(published),
                platform=Platform.LINKEDIN,
                status=ResultStatus.SUCCEEDED,
                external_post_id="urn:li:share:1",
                published_at=published_at,
            )
        )
        await s.commit()
    other = await register(client)
    await client.post(
        "/v1/posts", json={"content": "Not mine", "platforms": ["TWITTER"]}, headers=other.headers
    )

    feed = await _make_feed(client, caller)
    assert feed["url"].startswith("http://api.test/v1/calendar/hcal_")
    assert feed["webcal_url"] == "webcal://" + feed["url"].removeprefix("http://")
    r = await _fetch(client, feed["url"])

    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/calendar; charset=utf-8"
    assert r.headers["cache-control"] == "no-store"
    events = _events(r.content)
    assert set(events) == {f"{i}@herald" for i in (scheduled, offset, published)}
    paris = local.replace(tzinfo=ZoneInfo("Europe/Paris"))

    first = events[f"{scheduled}@herald"]
    assert first.decoded("DTSTART") == paris.astimezone(UTC)
    assert first.decoded("DTSTART").utcoffset() == timedelta(0)
    assert str(first["SUMMARY"]) == "Scheduled on X, LinkedIn: Doors open at 9:30, local time"
    assert "Doors open at 9:30, local time\nSecond line" in str(first["DESCRIPTION"])
    assert str(first["STATUS"]) == "TENTATIVE"
    assert str(first["X-HERALD-STATUS"]) == "SCHEDULED"
    assert first.categories == ["X", "LinkedIn"]

    second = events[f"{offset}@herald"]
    assert second.decoded("DTSTART") == with_offset
    assert "On Facebook:\nLonger text for Facebook" in str(second["DESCRIPTION"])

    done = events[f"{published}@herald"]
    assert str(done["STATUS"]) == "CONFIRMED"
    assert str(done["SUMMARY"]).startswith("Published on LinkedIn: Went out")
    assert f"LinkedIn: published at {published_at:%Y-%m-%d %H:%M} UTC" in str(done["DESCRIPTION"])

    # The wire form says UTC itself, whatever a parser makes of it.
    utc = paris.astimezone(UTC)
    assert f"DTSTART:{utc:%Y%m%dT%H%M%S}Z".encode() in r.content


async def test_posts_long_past_are_left_out(client, caller, sessionmaker):
    feed = await _make_feed(client, caller)
    post = (
        await client.post(
            "/v1/posts",
            json={
                "content": "old",
                "platforms": ["TWITTER"],
                "scheduled_at": _minute(1).isoformat(),
            },
            headers=caller.headers,
        )
    ).json()
    async with sessionmaker() as s:
        await s.execute(
            update(Post)
            .where(Post.id == uuid.UUID(post["id"]))
            .values(status=PostStatus.PUBLISHED, scheduled_at=_minute(-91))
        )
        await s.commit()
    assert _events((await _fetch(client, feed["url"])).content) == {}


async def test_rotating_ends_the_old_address_and_revoking_ends_the_feed(client, caller):
    first = await _make_feed(client, caller)
    assert (await _fetch(client, first["url"])).status_code == 200

    rotated = await client.post("/v1/calendar/feed/rotate", headers=caller.headers)
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["url"] != first["url"]
    assert second["created_at"] == first["created_at"]
    old = await _fetch(client, first["url"])
    assert old.status_code == 404
    assert old.headers["content-type"].startswith("application/problem+json")
    assert (await _fetch(client, second["url"])).status_code == 200

    state = await client.get("/v1/calendar/feed", headers=caller.headers)
    assert state.status_code == 200
    assert "url" not in state.json()
    assert state.json()["rotated_at"] == second["rotated_at"]

    revoked = await client.delete("/v1/calendar/feed", headers=caller.headers)
    assert revoked.status_code == 204
    assert (await _fetch(client, second["url"])).status_code == 404
    assert (await client.get("/v1/calendar/feed", headers=caller.headers)).status_code == 404
    assert (await client.delete("/v1/calendar/feed", headers=caller.headers)).status_code == 404
    again = await client.post("/v1/calendar/feed/rotate", headers=caller.headers)
    assert again.status_code == 404

    # A new feed can be made after a revocation; the revoked address stays dead.
    third = await _make_feed(client, caller)
    assert (await _fetch(client, third["url"])).status_code == 200
    assert (await _fetch(client, second["url"])).status_code == 404


async def test_a_second_feed_is_refused(client, caller):
    await _make_feed(client, caller)
    r = await client.post("/v1/calendar/feed", headers=caller.headers)
    assert r.status_code == 409
    assert r.json()["type"].endswith("/calendar-feed-exists")


@pytest.mark.parametrize(
    "token",
    [
        "hcal_" + "A" * 43,
        "hcal_short",
        "not-a-token",
        "hcal_" + "A" * 43 + "x",
        "%00",
    ],
)
async def test_a_wrong_address_answers_404(client, caller, token):
    await _make_feed(client, caller)
    r = await client.get(f"/v1/calendar/{token}.ics")
    assert r.status_code == 404
    assert r.json()["type"].endswith("/calendar-feed-not-found")


async def test_managing_the_feed_needs_a_bearer_token(client):
    for method, path in [
        ("GET", "/v1/calendar/feed"),
        ("POST", "/v1/calendar/feed"),
        ("POST", "/v1/calendar/feed/rotate"),
        ("DELETE", "/v1/calendar/feed"),
    ]:
        assert (await client.request(method, path)).status_code == 401, (method, path)


async def test_each_user_has_their_own_feed(client, caller):
    mine = await _make_feed(client, caller)
    other = await register(client)
    theirs = await _make_feed(client, other)
    await client.post(
        "/v1/posts",
        json={"content": "mine", "platforms": ["TWITTER"], "scheduled_at": _minute(2).isoformat()},
        headers=caller.headers,
    )
    assert len(_events((await _fetch(client, mine["url"])).content)) == 1
    assert _events((await _fetch(client, theirs["url"])).content) == {}
    # Revoking one's own feed leaves the other user's alone.
    assert (await client.delete("/v1/calendar/feed", headers=other.headers)).status_code == 204
    assert (await _fetch(client, mine["url"])).status_code == 200
    assert (await _fetch(client, theirs["url"])).status_code == 404


async def test_the_token_is_stored_hashed_and_never_logged(client, caller, sessionmaker, caplog):
    caplog.set_level(logging.DEBUG)
    feed = await _make_feed(client, caller)
    token = httpx.URL(feed["url"]).path.removeprefix("/v1/calendar/").removesuffix(".ics")
    assert (await _fetch(client, feed["url"])).status_code == 200
    rotated = (await client.post("/v1/calendar/feed/rotate", headers=caller.headers)).json()
    await _fetch(client, feed["url"])
    await client.delete("/v1/calendar/feed", headers=caller.headers)

    async with sessionmaker() as s:
        dump = await s.execute(text("SELECT row_to_json(f)::text FROM calendar_feeds f"))
        assert token not in " ".join(dump.scalars())
    # The server wrote no line holding the token, and a line that would hold the feed's
    # address (an error on its path, say) comes out of the services' redaction without it.
    assert not [r for r in caplog.records if token in r.getMessage() and r.name != "httpx"]
    for url in (feed["url"], rotated["url"]):
        line = f"unhandled error on GET {httpx.URL(url).path}"
        assert "hcal_" in line
        assert url.removesuffix(".ics").rsplit("/", 1)[1] not in redact(line)


async def test_a_refusal_does_not_echo_the_address(client, caller):
    feed = await _make_feed(client, caller)
    await client.delete("/v1/calendar/feed", headers=caller.headers)
    path = httpx.URL(feed["url"]).path
    token = path.removeprefix("/v1/calendar/").removesuffix(".ics")
    gone = await client.get(path)
    wrong_method = await client.post(path)
    assert (gone.status_code, wrong_method.status_code) == (404, 405)
    for r in (gone, wrong_method):
        assert token not in r.text
        assert r.json()["instance"] == "/v1/calendar/hcal_[REDACTED].ics"


async def test_the_stored_hash_finds_the_feed(client, caller, sessionmaker):
    feed = await _make_feed(client, caller)
    token = httpx.URL(feed["url"]).path.removeprefix("/v1/calendar/").removesuffix(".ics")
    async with sessionmaker() as s:
        row = (
            await s.execute(select(CalendarFeed).where(CalendarFeed.user_id == caller.id))
        ).scalar_one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
