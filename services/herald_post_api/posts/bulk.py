"""Many posts at once (``POST /v1/posts/batch``, ``POST /v1/posts/import``).

Each row goes through the same checks as ``POST /v1/posts`` (the ``PostCreate`` schema, the
time and its zone, the content rules, the connected accounts) and gets its own result: the
post it created, or the problem that refused it, with the field to blame. A refused row
creates nothing; the good rows are inserted together, in one statement, in the request's
transaction, so the answer is sent only once they are all committed.

The work is bounded: the number of rows is capped before any row is looked at, each row is
checked field by field (lengths first) before its text is measured, the accounts are read
once for the whole request, and the insert is one round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.errors import AppError, Unprocessable, problem_body
from herald_db.enums import PostStatus
from herald_db.models import Post, User
from herald_db.repositories import accounts as accounts_repo
from herald_db.repositories import posts as posts_repo
from herald_post_api.cpu import CpuPool
from herald_post_api.posts import service
from herald_post_api.posts.bulk_schemas import MAX_ROWS, BatchResult, RowProblem, RowResult
from herald_post_api.posts.schemas import PostCreate

_POST_CREATE: TypeAdapter[PostCreate] = TypeAdapter(PostCreate)
FieldNamer = Callable[[tuple[Any, ...]], str]


class TooManyRows(Unprocessable):
    slug = "too-many-rows"
    title = "Too many rows in one request"


@dataclass(slots=True)
class Row:
    """One row to create: the fields of a ``PostCreate``, or why it could not be read."""

    index: int
    values: Any = None
    line: int | None = None
    problem: dict[str, Any] | None = None


def dotted(loc: tuple[Any, ...]) -> str:
    """A JSON row's field name as a path: ``content``, ``platforms.1``."""
    return ".".join(str(part) for part in loc)


def refusal(slug: str, title: str, detail: str, **members: Any) -> dict[str, Any]:
    """A row's problem, shaped like an RFC 9457 problem (status 422, no ``instance``)."""
    return problem_body(422, slug, title, detail, **members)


def _invalid(exc: ValidationError, name: FieldNamer) -> dict[str, Any]:
    errors = [
        {"field": name(tuple(err["loc"])), "message": err["msg"]}
        for err in exc.errors(include_url=False, include_input=False)
    ]
    first = errors[0]
    detail = f"{first['field']}: {first['message']}" if first["field"] else first["message"]
    return refusal(
        "validation-error", "Invalid request", detail, field=first["field"] or None, errors=errors
    )


def check_row(row: Row, user: User, active: set[Any], now: datetime, name: FieldNamer) -> Post:
    """The post a row describes, or an :class:`AppError`/``ValidationError`` saying why not."""
    data = _POST_CREATE.validate_python(row.values)
    post = service.build(user, data, now)
    if post.status is PostStatus.SCHEDULED:
        service.require_accounts(active, post.platforms)
    return post


def _text_size(values: Any) -> int:
    if not isinstance(values, dict):
        return 0
    variants = values.get("content_variants")
    texts = [values.get("content"), *(variants.values() if isinstance(variants, dict) else ())]
    return sum(len(t) for t in texts if isinstance(t, str))


def _check_rows(
    rows: Sequence[Row], user: User, active: set[Any], now: datetime, name: FieldNamer
) -> tuple[dict[int, dict[str, Any]], list[tuple[Row, Post]]]:
    """Each row's problem, or the post it makes (no database work: it may run off the loop)."""
    problems: dict[int, dict[str, Any]] = {}
    good: list[tuple[Row, Post]] = []
    for row in rows:
        if row.problem is not None:
            problems[row.index] = row.problem
            continue
        try:
            good.append((row, check_row(row, user, active, now, name)))
        except ValidationError as exc:
            problems[row.index] = _invalid(exc, name)
        except AppError as exc:
            problems[row.index] = _renamed(exc.problem(), name)
    return problems, good


async def create_many(
    session: AsyncSession,
    user: User,
    rows: Sequence[Row],
    now: datetime,
    *,
    field_name: FieldNamer = dotted,
    cpu: CpuPool | None = None,
) -> BatchResult:
    """Check every row, insert the good ones together, and say what became of each."""
    if len(rows) > MAX_ROWS:
        raise TooManyRows(
            f"At most {MAX_ROWS} rows per request; this one has {len(rows)}.",
            limit=MAX_ROWS,
        )
    active = await accounts_repo.active_platforms(session, user.id)
    size = sum(_text_size(row.values) for row in rows)
    problems, good = await service.off_loop(
        cpu, size, _check_rows, rows, user, active, now, field_name
    )
    created = await posts_repo.insert_many(
        session, [{c: getattr(post, c) for c in service.NEW_POST_COLUMNS} for _, post in good]
    )
    made = {
        row.index: service.to_read(post, user) for (row, _), post in zip(good, created, strict=True)
    }
    results = [
        RowResult(
            index=row.index,
            line=row.line,
            status="created" if row.index in made else "refused",
            post=made.get(row.index),
            problem=RowProblem(**problems[row.index]) if row.index in problems else None,
        )
        for row in rows
    ]
    return BatchResult(created=len(made), refused=len(problems), results=results)


def _renamed(problem: dict[str, Any], name: FieldNamer) -> dict[str, Any]:
    """An application error's problem with its field names in the row's terms."""
    if problem.get("field"):
        problem["field"] = name(tuple(problem["field"].split(".")))
    for err in problem.get("errors") or []:
        if isinstance(err, dict) and err.get("field"):
            err["field"] = name(tuple(err["field"].split(".")))
    return problem
