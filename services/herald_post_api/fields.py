"""Field types shared by the API's wire shapes, each carrying its real limits in the schema."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

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
