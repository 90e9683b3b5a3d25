"""A user's posts as an iCalendar (RFC 5545) feed, built with the ``icalendar`` library.

One VEVENT per post at its UTC time (``DTSTART:...Z``, an instant, no end), with:
- SUMMARY: the Herald status, the platforms and the start of the text;
- DESCRIPTION: the whole text, per-platform variants and media, and each platform's result;
- STATUS: TENTATIVE while scheduled or publishing, CONFIRMED once published, CANCELLED when
  it failed; the Herald status itself in ``X-HERALD-STATUS`` and the platforms as CATEGORIES.
UIDs are the post ids, so an edited post moves in the calendar instead of appearing twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from icalendar import Calendar, Event

from herald_db.enums import Platform, PostStatus, ResultStatus
from herald_db.models import Post, PostPlatformResult

PRODID = "-//Herald//Scheduled posts//EN"
REFRESH = timedelta(minutes=15)
SUMMARY_TEXT = 60

_STATUS = {
    PostStatus.SCHEDULED: ("Scheduled", "TENTATIVE"),
    PostStatus.PUBLISHING: ("Publishing", "TENTATIVE"),
    PostStatus.PUBLISHED: ("Published", "CONFIRMED"),
    PostStatus.FAILED: ("Failed", "CANCELLED"),
}
_RESULT = {
    ResultStatus.PENDING: "waiting",
    ResultStatus.SENDING: "sending",
    ResultStatus.RETRY_WAIT: "retrying",
    ResultStatus.SUCCEEDED: "published",
    ResultStatus.FAILED: "failed",
}


def _labels(post: Post) -> list[str]:
    return [Platform(p).label for p in post.platforms]


def _summary(post: Post) -> str:
    word, _ = _STATUS[post.status]
    first = post.content.strip().splitlines()[0] if post.content.strip() else "(no text)"
    if len(first) > SUMMARY_TEXT:
        first = first[: SUMMARY_TEXT - 1].rstrip() + "\u2026"
    return f"{word} on {', '.join(_labels(post))}: {first}"


def _result_line(result: PostPlatformResult) -> str:
    line = f"{Platform(result.platform).label}: {_RESULT[ResultStatus(result.status)]}"
    if result.status is ResultStatus.SUCCEEDED and result.published_at is not None:
        line += f" at {result.published_at:%Y-%m-%d %H:%M} UTC"
    if result.status is ResultStatus.RETRY_WAIT and result.next_attempt_at is not None:
        line += f", next try at {result.next_attempt_at:%Y-%m-%d %H:%M} UTC"
    if result.status is ResultStatus.FAILED and result.error_message:
        line += f" ({result.error_message})"
    return line


def _description(post: Post, results: Sequence[PostPlatformResult]) -> str:
    parts = [post.content or "(no text)"]
    for name, text in sorted((post.content_variants or {}).items()):
        parts.append(f"On {Platform(name).label}:\n{text}")
    if post.media_urls:
        parts.append("Media:\n" + "\n".join(post.media_urls))
    if results:
        parts.append("\n".join(_result_line(r) for r in results))
    else:
        word, _ = _STATUS[post.status]
        parts.append(f"{word} on {', '.join(_labels(post))}.")
    return "\n\n".join(parts)


def _event(post: Post, results: Sequence[PostPlatformResult]) -> Event:
    assert post.scheduled_at is not None
    _, status = _STATUS[post.status]
    event = Event.new(
        uid=f"{post.id}@herald",
        start=post.scheduled_at,
        stamp=post.updated_at,
        created=post.created_at,
        last_modified=post.updated_at,
        summary=_summary(post),
        description=_description(post, results),
        status=status,  # type: ignore[arg-type]
        categories=_labels(post),
    )
    event.add("x-herald-status", post.status.value)
    return event


def render(
    feed_id: uuid.UUID,
    posts: Sequence[Post],
    results: dict[uuid.UUID, list[PostPlatformResult]],
) -> bytes:
    calendar = Calendar.new(
        prodid=PRODID,
        uid=f"{feed_id}@herald",
        name="Herald posts",
        description="Posts scheduled and published with Herald.",
        method="PUBLISH",
        calscale="GREGORIAN",
        refresh_interval=REFRESH,
        subcomponents=[_event(p, results.get(p.id, [])) for p in posts],
    )
    # The same hint for clients that predate RFC 7986's REFRESH-INTERVAL.
    calendar.add("x-published-ttl", REFRESH)
    data: bytes = calendar.to_ical()
    return data
