"""The secret calendar feed: create, rotate, revoke, and render it for its token.

The token is 256 random bits with a recognisable prefix (so log redaction and secret
scanners spot it); only its SHA-256 is stored, and the feed is found by that hash. A token
of the wrong shape is turned away before any query, and every failure (wrong, rotated,
revoked) answers the same 404.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from herald_common.errors import Conflict, NotFound
from herald_db.enums import PostStatus
from herald_db.models import CalendarFeed, User
from herald_db.repositories import calendar as calendar_repo
from herald_db.repositories import posts as posts_repo
from herald_post_api.calendar import ics
from herald_post_api.calendar.schemas import CalendarFeedRead, CalendarFeedSecret

TOKEN_PREFIX = "hcal_"
_TOKEN = re.compile(r"hcal_[A-Za-z0-9_-]{43}")
# The feed shows posts from this far back, soonest first, up to MAX_EVENTS of them.
PAST = timedelta(days=90)
MAX_EVENTS = 2000
SHOWN = (PostStatus.SCHEDULED, PostStatus.PUBLISHING, PostStatus.PUBLISHED, PostStatus.FAILED)


class FeedNotFound(NotFound):
    slug = "calendar-feed-not-found"
    title = "Calendar feed not found"


class FeedExists(Conflict):
    slug = "calendar-feed-exists"
    title = "The calendar feed already exists"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_path(token: str) -> str:
    return f"/v1/calendar/{token}.ics"


def _secret(feed: CalendarFeed, token: str, base: str) -> CalendarFeedSecret:
    url = base.rstrip("/") + feed_path(token)
    scheme, _, rest = url.partition("://")
    return CalendarFeedSecret(
        created_at=feed.created_at,
        rotated_at=feed.rotated_at,
        url=url,
        webcal_url=f"webcal://{rest}" if scheme in ("http", "https") else url,
    )


async def read(session: AsyncSession, user: User) -> CalendarFeedRead:
    feed = await calendar_repo.get_for_user(session, user.id)
    if feed is None:
        raise FeedNotFound("You have no calendar feed; create one first.")
    return CalendarFeedRead(created_at=feed.created_at, rotated_at=feed.rotated_at)


async def create(session: AsyncSession, user: User, base: str) -> CalendarFeedSecret:
    token = new_token()
    feed = await calendar_repo.create(session, user.id, token_hash(token))
    if feed is None:
        raise FeedExists(
            "You already have a calendar feed; rotate it for a new address, or revoke it."
        )
    return _secret(feed, token, base)


async def rotate(session: AsyncSession, user: User, base: str) -> CalendarFeedSecret:
    token = new_token()
    feed = await calendar_repo.replace_token(session, user.id, token_hash(token))
    if feed is None:
        raise FeedNotFound("You have no calendar feed to rotate; create one first.")
    return _secret(feed, token, base)


async def revoke(session: AsyncSession, user: User) -> None:
    if not await calendar_repo.delete_for_user(session, user.id):
        raise FeedNotFound("You have no calendar feed to revoke.")


async def render(session: AsyncSession, token: str, now: datetime) -> bytes:
    """The feed for ``token``, or :class:`FeedNotFound` for any token that is not current."""
    feed = (
        await calendar_repo.find_by_token_hash(session, token_hash(token))
        if _TOKEN.fullmatch(token)
        else None
    )
    if feed is None:
        raise FeedNotFound("No calendar feed at this address.")
    posts = await posts_repo.in_window(
        session, feed.user_id, statuses=SHOWN, scheduled_from=now - PAST, limit=MAX_EVENTS
    )
    results = await posts_repo.results_for(session, [p.id for p in posts])
    return ics.render(feed.id, posts, results)
