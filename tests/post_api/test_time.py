"""Scheduling in the user's time zone: UTC both ways, DST gap refused, DST overlap rule."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from herald_common.timeutil import (
    NonexistentLocalTime,
    hour_of_week,
    is_ambiguous,
    local_to_utc,
    utc_to_local,
)
from tests.factories import connect_all, register

# A year far enough ahead that these dates stay in the future.
Y = datetime.now(UTC).year + 1


@pytest.fixture
async def paris(client, sessionmaker, box):
    c = await register(client, timezone="Europe/Paris")
    await connect_all(sessionmaker, box, c.id)
    return c


def _post(when: str, **extra):
    return {"content": "tz", "platforms": ["TWITTER"], "scheduled_at": when, **extra}


async def test_local_time_is_read_in_the_users_zone(client, paris):
    r = await client.post("/v1/posts", json=_post(f"{Y}-07-01T09:00:00"), headers=paris.headers)
    assert r.status_code == 201, r.text
    body = r.json()
    # Paris is UTC+2 in summer.
    assert datetime.fromisoformat(body["scheduled_at"]) == datetime(Y, 7, 1, 7, 0, tzinfo=UTC)
    assert body["scheduled_at_local"].startswith(f"{Y}-07-01T09:00:00")
    assert body["scheduled_at_local"].endswith("+02:00")
    assert body["timezone"] == "Europe/Paris"


async def test_explicit_offset_wins_and_is_shown_back_in_local_time(client, paris):
    r = await client.post("/v1/posts", json=_post(f"{Y}-01-15T12:00:00Z"), headers=paris.headers)
    body = r.json()
    assert datetime.fromisoformat(body["scheduled_at"]) == datetime(Y, 1, 15, 12, tzinfo=UTC)
    # Winter: UTC+1.
    assert body["scheduled_at_local"] == f"{Y}-01-15T13:00:00+01:00"


async def test_timezone_field_overrides_the_users_zone(client, paris):
    r = await client.post(
        "/v1/posts",
        json=_post(f"{Y}-07-01T09:00:00", timezone="America/New_York"),
        headers=paris.headers,
    )
    body = r.json()
    assert datetime.fromisoformat(body["scheduled_at"]) == datetime(Y, 7, 1, 13, tzinfo=UTC)
    # Shown back in the user's zone (Paris): 15:00.
    assert body["scheduled_at_local"] == f"{Y}-07-01T15:00:00+02:00"


def _last_sunday(year: int, month: int) -> int:
    for day in range(31, 24, -1):
        if datetime(year, month, day).weekday() == 6:
            return day
    raise AssertionError


async def test_time_in_the_spring_gap_is_refused(client, paris):
    day = _last_sunday(Y, 3)
    r = await client.post(
        "/v1/posts", json=_post(f"{Y}-03-{day:02d}T02:30:00"), headers=paris.headers
    )
    assert r.status_code == 422
    assert r.json()["field"] == "scheduled_at"
    assert "does not exist" in r.json()["detail"]


async def test_time_in_the_autumn_overlap_takes_the_first_occurrence(client, paris):
    day = _last_sunday(Y, 10)
    r = await client.post(
        "/v1/posts", json=_post(f"{Y}-10-{day:02d}T02:30:00"), headers=paris.headers
    )
    assert r.status_code == 201
    # First occurrence: still CEST (UTC+2) -> 00:30 UTC.
    assert datetime.fromisoformat(r.json()["scheduled_at"]) == datetime(
        Y, 10, day, 0, 30, tzinfo=UTC
    )
    assert r.json()["scheduled_at_local"] == f"{Y}-10-{day:02d}T02:30:00+02:00"


async def test_unknown_timezone_field_is_refused(client, paris):
    r = await client.post(
        "/v1/posts",
        json=_post(f"{Y}-07-01T09:00:00", timezone="Atlantis/Capital"),
        headers=paris.headers,
    )
    assert r.status_code == 422
    assert r.json()["field"] == "timezone"


async def test_changing_the_users_zone_changes_the_local_view_not_the_instant(client, paris):
    r = await client.post("/v1/posts", json=_post(f"{Y}-07-01T09:00:00"), headers=paris.headers)
    pid = r.json()["id"]
    await client.patch("/v1/me", json={"timezone": "Asia/Tokyo"}, headers=paris.headers)
    again = (await client.get(f"/v1/posts/{pid}", headers=paris.headers)).json()
    assert datetime.fromisoformat(again["scheduled_at"]) == datetime(Y, 7, 1, 7, tzinfo=UTC)
    assert again["scheduled_at_local"] == f"{Y}-07-01T16:00:00+09:00"


def test_conversion_both_ways_new_york():
    local = datetime(2030, 11, 3, 1, 30)  # the US autumn overlap
    assert is_ambiguous(local, "America/New_York")
    instant = local_to_utc(local, "America/New_York")
    assert instant == datetime(2030, 11, 3, 5, 30, tzinfo=UTC)  # EDT, first occurrence
    back = utc_to_local(instant, "America/New_York")
    assert back.replace(tzinfo=None) == local
    with pytest.raises(NonexistentLocalTime):
        local_to_utc(datetime(2030, 3, 10, 2, 30), "America/New_York")


def test_hour_of_week_is_local():
    instant = datetime(2030, 1, 7, 23, 30, tzinfo=UTC)  # Monday 23:30 UTC
    assert hour_of_week(utc_to_local(instant, "UTC")) == 23
    assert hour_of_week(utc_to_local(instant, "Asia/Tokyo")) == 24 + 8  # Tuesday 08:30
