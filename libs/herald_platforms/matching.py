"""Finding a post Herald may have published among the posts a platform lists.

An attempt whose outcome is unknown is checked by reading the account's posts created since
that attempt started (less a margin for clock skew) and looking for the one Herald sent.
The platforms do not answer a post's text as it was sent, so both sides are brought to one
comparable form first:

- X replaces every URL with a t.co link, answers ``&``, ``<`` and ``>`` as ``&amp;``,
  ``&lt;`` and ``&gt;``, appends a t.co link for attached media, and cuts a long text near
  270 characters (``… https://t.co/…``) with the whole of it in ``note_tweet``. The sent
  text is compared with its URLs taken out, the shown one with its t.co links taken out and
  its entities undone; a cut text matches the start of the sent one.
- LinkedIn answers ``commentary`` in its little text format (escapes, hashtag templates):
  compared through :func:`herald_platforms.linkedin.little.plain`.
- Instagram captions and Facebook messages come back as sent.

Two rules keep a check from claiming the wrong post: a post created before the window (an
identical post the user published on purpose earlier) never matches, nor does one whose id
Herald already holds for another post; and a text that is empty once its links are gone
(a media-only post) never matches on text alone: :func:`checkable` says so beforehand, so
the caller can use an id-bearing signal or tell the user instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from twitter_text import extract_urls

from herald_platforms.base import Found
from herald_platforms.linkedin import little

_SPACE = re.compile(r"\s+")
_TCO = re.compile(r"https?://t\.co/[A-Za-z0-9]+")
# What X puts between a cut text and its self-link.
_ELLIPSIS = "\u2026"
# A cut text shorter than this is too little to tell two posts apart.
MIN_PREFIX = 40


@dataclass(frozen=True, slots=True)
class Listed:
    """A post as a platform lists it."""

    id: str
    created_at: datetime | None
    text: str
    # X: the whole text of a long post (``note_tweet.text``), when the listing had it.
    full_text: str | None = None


def comparable(text: str) -> str:
    """NFC, whitespace runs as one space, no leading or trailing space."""
    return _SPACE.sub(" ", unicodedata.normalize("NFC", text)).strip()


# -- X ------------------------------------------------------------------------------------


def without_urls(text: str) -> str:
    """``text`` with every URL X would turn into a t.co link taken out."""
    for url in sorted(set(extract_urls(text)), key=len, reverse=True):
        text = text.replace(url, " ")
    return text


def x_unescape(text: str) -> str:
    """Undo the three entities X escapes (and only those: ``&quot;`` a user typed stays)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def x_sent(text: str) -> str:
    return comparable(without_urls(text))


def x_shown(text: str) -> str:
    return comparable(_TCO.sub(" ", x_unescape(text)))


def x_matches(sent: str, item: Listed) -> bool:
    want = x_sent(sent)
    if not want:
        return False
    if item.full_text is not None:
        return x_shown(item.full_text) == want
    got = x_shown(item.text)
    if got == want:
        return True
    # Cut by X and no note_tweet in the listing: the shown start must begin the sent text.
    if got.endswith(_ELLIPSIS):
        head = got[: -len(_ELLIPSIS)].rstrip()
        return len(head) >= MIN_PREFIX and want.startswith(head)
    return False


# -- LinkedIn, Instagram, Facebook --------------------------------------------------------


def linkedin_matches(sent: str, item: Listed) -> bool:
    want = comparable(sent)
    return bool(want) and comparable(little.plain(item.text)) == want


def same_text(sent: str, item: Listed) -> bool:
    want = comparable(sent)
    return bool(want) and comparable(item.text) == want


# -- the search ---------------------------------------------------------------------------

Matcher = Callable[[str, Listed], bool]


def checkable(sent: str, matcher: Matcher) -> bool:
    """Whether ``sent`` can be recognised by its text at all (not empty once the platform's
    transformations are undone: a media-only or links-only X post cannot)."""
    if matcher is x_matches:
        return bool(x_sent(sent))
    return bool(comparable(sent))


def in_window(item: Listed, since: datetime | None) -> bool:
    """Created at or after ``since``; a post without a creation time is outside any window."""
    if since is None:
        return True
    return item.created_at is not None and item.created_at >= since


def find(
    sent: str,
    items: Iterable[Listed],
    matcher: Matcher,
    *,
    since: datetime | None,
    exclude: Iterable[str] = (),
) -> Found | None:
    """The oldest listed post in the window that ``matcher`` takes for ``sent``: its id and
    the creation time the listing gave.

    The oldest, because a check runs after the unknown attempt and anything newer with the
    same text was sent later, by someone else.
    """
    taken = set(exclude)
    found = [
        item
        for item in items
        if item.id not in taken and in_window(item, since) and matcher(sent, item)
    ]
    if not found:
        return None
    if all(i.created_at is not None for i in found):
        found.sort(key=lambda i: i.created_at)  # type: ignore[arg-type,return-value]
        return Found(found[0].id, found[0].created_at)
    return Found(found[-1].id, found[-1].created_at)


def older_than(items: list[Listed], since: datetime | None) -> bool:
    """Whether a newest-first page reached past the window (so no later page can match)."""
    if since is None or not items:
        return False
    last = items[-1].created_at
    return last is not None and last < since
