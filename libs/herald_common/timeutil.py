"""Time zones: turning a user's local wall-clock time into UTC and back.

Rules (also stated in the API docs):
- A local time that does not exist (the spring-forward gap) is refused.
- A local time that happens twice (the autumn overlap) means its *first* occurrence, the one
  still on daylight-saving time (Python's ``fold=0``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


class ShiftedClock:
    """This host's time moved by ``shift``: tests move it forward instead of waiting.

    Where a service compares times in the database (due posts, leases, retries), it uses the
    database's clock plus the same shift (see :func:`shift_of`), never this host's clock.
    """

    def __init__(self, shift: timedelta = timedelta()) -> None:
        self.shift = shift

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift

    def advance(self, seconds: float) -> None:
        self.shift += timedelta(seconds=seconds)


def shift_of(clock: Clock) -> timedelta:
    """How far ``clock`` runs ahead of real time: zero for the real clock."""
    return clock.shift if isinstance(clock, ShiftedClock) else timedelta()


class InvalidTimezone(ValueError):
    pass


class NonexistentLocalTime(ValueError):
    pass


# The longest IANA name is 32 characters; a longer one would only reach the file system.
MAX_ZONE_NAME = 64


def get_zone(name: str) -> ZoneInfo:
    if (
        not name
        or len(name) > MAX_ZONE_NAME
        or name != name.strip()
        or name.startswith("/")
        or ".." in name
    ):
        raise InvalidTimezone(f"'{name[:MAX_ZONE_NAME]}' is not an IANA time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise InvalidTimezone(f"'{name}' is not an IANA time zone") from exc


@functools.cache
def zone_names() -> frozenset[str]:
    """The IANA zones this machine knows: the names the API accepts."""
    return frozenset(available_timezones())


def is_valid_timezone(name: str) -> bool:
    return name in zone_names()


def all_timezones() -> set[str]:
    return available_timezones()


def local_to_utc(naive: datetime, zone: str) -> datetime:
    """Interpret a naive wall-clock time in ``zone`` and return the UTC instant."""
    if naive.tzinfo is not None:
        return naive.astimezone(UTC)
    tz = get_zone(zone)
    first = naive.replace(tzinfo=tz, fold=0)
    as_utc = first.astimezone(UTC)
    # A time in the gap does not survive the round trip: 02:30 becomes 03:30.
    if as_utc.astimezone(tz).replace(tzinfo=None) != naive:
        second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
        if second.astimezone(tz).replace(tzinfo=None) != naive:
            raise NonexistentLocalTime(
                f"{naive.isoformat()} does not exist in {zone} (the clocks skip it when "
                "daylight saving time starts); choose a time outside the gap"
            )
        return second
    return as_utc


def is_ambiguous(naive: datetime, zone: str) -> bool:
    tz = get_zone(zone)
    a = naive.replace(tzinfo=tz, fold=0).utcoffset()
    b = naive.replace(tzinfo=tz, fold=1).utcoffset()
    return a != b and not _in_gap(naive, tz)


def _in_gap(naive: datetime, tz: ZoneInfo) -> bool:
    return naive.replace(tzinfo=tz).astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive


def utc_to_local(instant: datetime, zone: str) -> datetime:
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return instant.astimezone(get_zone(zone))


def hour_of_week(local: datetime) -> int:
    """0..167, Monday 00:00 local being 0."""
    return local.weekday() * 24 + local.hour


def start_of_local_week(instant: datetime, zone: str) -> datetime:
    local = utc_to_local(instant, zone)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0, tzinfo=None
    )
    return local_to_utc(monday, zone)
