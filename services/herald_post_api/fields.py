"""Field types shared by the API's wire shapes, each carrying its real limits in the schema."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

from herald_common.timeutil import MAX_ZONE_NAME, is_valid_timezone, zone_names


def _zone(value: str) -> str:
    if not is_valid_timezone(value):
        raise ValueError(f"'{value[:MAX_ZONE_NAME]}' is not an IANA time zone")
    return value


TimeZoneName = Annotated[
    str,
    Field(
        max_length=MAX_ZONE_NAME,
        description="IANA time zone, e.g. Europe/Paris",
        json_schema_extra={"enum": sorted(zone_names())},
    ),
    AfterValidator(_zone),
]

_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_text(value: Any) -> Any:
    # Pydantic would also take a number (seconds since 1970) or "2027": the schema says an
    # ISO 8601 string, so that is all the API takes.
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_START.match(value):
        raise ValueError("expected an ISO 8601 date and time, e.g. 2027-03-01T09:00:00+01:00")
    return value


IsoDateTime = Annotated[datetime, BeforeValidator(_iso_text)]

# Cursors are base64 of a timestamp and an id; a longer one was not made by the API.
MAX_CURSOR = 128
Cursor = Annotated[
    str | None,
    Field(
        max_length=MAX_CURSOR,
        pattern=r"^[A-Za-z0-9_-]*$",
        description="`next_cursor` of the previous page.",
    ),
]
