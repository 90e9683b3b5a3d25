"""A CSV file of posts, read into rows for bulk creation (``POST /v1/posts/import``).

The file is UTF-8 (a byte-order mark is allowed) with a header row; column names are
case-insensitive and in any order:

=================  ==========================================================================
``content``        the text (required column; an empty cell is an empty text)
``platforms``      required: TWITTER, INSTAGRAM, LINKEDIN, FACEBOOK, separated by ``|``, ``,``,
                   ``;`` or spaces (case-insensitive)
``scheduled_at``   ISO 8601 with an offset, or a local time read in ``timezone``
``timezone``       IANA zone for a local ``scheduled_at`` (default: the user's)
``media_urls``     http(s) URLs separated by ``|`` or spaces
``status``         DRAFT or SCHEDULED (default: SCHEDULED when ``scheduled_at`` is given)
``content_<p>``    the text on one platform instead of ``content``: ``content_twitter``,
                   ``content_instagram``, ``content_linkedin``, ``content_facebook``
=================  ==========================================================================

An empty cell is an absent field and blank lines are skipped. A file that cannot be read as
CSV (not UTF-8, an unknown or missing column, a broken quote) is refused whole; a row that
breaks a rule is refused on its own, with its column named.
"""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from herald_common.errors import AppError, Unprocessable
from herald_db.enums import Platform
from herald_post_api.posts.bulk import MAX_ROWS, Row, TooManyRows, refusal

REQUIRED = ("content", "platforms")
VARIANTS = {f"content_{p.value.lower()}": p.value for p in Platform}
COLUMNS = (*REQUIRED, "scheduled_at", "timezone", "media_urls", "status", *VARIANTS)
_PLATFORM_SEPARATORS = re.compile(r"[\s,;|]+")
_URL_SEPARATORS = re.compile(r"[\s|]+")


class InvalidCsv(Unprocessable):
    slug = "invalid-csv"
    title = "The CSV file cannot be read"


class UnsupportedMediaType(AppError):
    status = 415
    slug = "unsupported-media-type"
    title = "Unsupported media type"


def column_of(loc: tuple[Any, ...]) -> str:
    """The column a field of ``PostCreate`` comes from: ``content_variants.TWITTER`` is
    ``content_twitter``, ``platforms.2`` is ``platforms``."""
    if not loc:
        return ""
    if loc[0] == "content_variants" and len(loc) > 1:
        return f"content_{str(loc[1]).lower()}"
    return str(loc[0])


def _header(names: list[str]) -> list[str]:
    columns = [name.strip().lower() for name in names]
    for position, name in enumerate(columns, start=1):
        if not name:
            raise InvalidCsv(f"Column {position} of the header has no name.", field="file")
        if name not in COLUMNS:
            shown = name if len(name) <= 40 else name[:40] + "..."
            raise InvalidCsv(
                f"Unknown column {shown!r}; the columns are {', '.join(COLUMNS)}.",
                field="file",
                column=shown,
            )
        if columns.count(name) > 1:
            raise InvalidCsv(f"Column {name!r} appears twice in the header.", field=name)
    for name in REQUIRED:
        if name not in columns:
            raise InvalidCsv(
                f"The header has no {name!r} column; it needs {', '.join(REQUIRED)}.",
                field=name,
            )
    return columns


def _values(cells: dict[str, str]) -> dict[str, Any]:
    """A row's cells as the fields of a ``PostCreate``."""
    values: dict[str, Any] = {"content": cells.get("content", "")}
    if "platforms" in cells:
        values["platforms"] = [
            p.upper() for p in _PLATFORM_SEPARATORS.split(cells["platforms"].strip()) if p
        ]
    if "media_urls" in cells:
        values["media_urls"] = [u for u in _URL_SEPARATORS.split(cells["media_urls"]) if u]
    for name in ("scheduled_at", "timezone"):
        if name in cells:
            values[name] = cells[name].strip()
    if "status" in cells:
        values["status"] = cells["status"].strip().upper()
    variants = {VARIANTS[name]: text for name, text in cells.items() if name in VARIANTS}
    if variants:
        values["content_variants"] = variants
    return values


def read(data: bytes, max_rows: int = MAX_ROWS) -> list[Row]:
    """The file's data rows, each with its line; stops reading past ``max_rows`` rows."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidCsv(
            f"The file is not UTF-8 text (byte {exc.start} cannot be read).", field="file"
        ) from exc
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""), strict=True)
    rows: list[Row] = []
    try:
        names = next(reader, None)
        if names is None:
            raise InvalidCsv(
                "The file is empty; it needs a header row, e.g. content,platforms,scheduled_at.",
                field="file",
            )
        columns = _header(names)
        start = reader.line_num + 1
        for record in reader:
            line, start = start, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if len(rows) == max_rows:
                raise TooManyRows(
                    f"At most {max_rows} rows per file; line {line} starts row {max_rows + 1}.",
                    field="file",
                    limit=max_rows,
                )
            if len(record) != len(columns):
                rows.append(
                    Row(
                        index=len(rows),
                        line=line,
                        problem=refusal(
                            "csv-row-shape",
                            "A row has the wrong number of cells",
                            f"Line {line} has {len(record)} cells; the header has {len(columns)}.",
                        ),
                    )
                )
                continue
            cells = {name: cell for name, cell in zip(columns, record, strict=True) if cell.strip()}
            nul = next((name for name, cell in cells.items() if "\x00" in cell), None)
            if nul is not None:
                rows.append(
                    Row(
                        index=len(rows),
                        line=line,
                        problem=refusal(
                            "validation-error",
                            "Invalid request",
                            f"Line {line}: the {nul} cell holds a NUL character (U+0000).",
                            field=nul,
                        ),
                    )
                )
                continue
            rows.append(Row(index=len(rows), line=line, values=_values(cells)))
    except csv.Error as exc:
        raise InvalidCsv(
            f"Line {reader.line_num}: {exc}.", field="file", line=reader.line_num
        ) from exc
    return rows
