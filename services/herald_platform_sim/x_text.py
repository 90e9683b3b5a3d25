"""What X does with a post's text.

Posting: the weighted length (twitter-text v3: a URL counts 23, CJK and emoji count 2) must
be at most 280.

Reading: X answers a post's text as it shows it, not as it was sent.
- Every URL is replaced by a t.co link; ``entities.urls`` keeps the original as
  ``expanded_url`` (a URL written without a scheme is expanded with ``http://``).
- ``&``, ``<`` and ``>`` come back HTML-escaped (``&amp;``, ``&lt;``, ``&gt;``).
- Attached media add one trailing t.co link to the post's photo or video page.
- A text whose shown form is longer than 280 characters comes back cut near 270 characters,
  followed by "…" and a t.co link to the post; the whole text is in ``note_tweet``.

t.co links are fixed for a seed, a post and a position, so two reads agree.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from twitter_text import extract_urls_with_indices, parse_tweet

MAX_WEIGHTED = 280
SHOWN_MAX = 280
CUT_AT = 270
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://")


def weighted_length(text: str) -> int:
    # Plain ASCII without a dot holds no URL and no emoji, and each character weighs 1.
    if text.isascii() and "." not in text:
        return len(text)
    return int(parse_tweet(text).weightedLength)


def tco(seed: int, post_id: str, slot: object) -> str:
    n = int.from_bytes(hashlib.sha256(f"{seed}|{post_id}|{slot}".encode()).digest()[:8], "big")
    chars = []
    for _ in range(10):
        n, r = divmod(n, 62)
        chars.append(_ALPHABET[r])
    return "https://t.co/" + "".join(chars)


def escape(text: str) -> str:
    return "".join(_ESCAPES.get(c, c) for c in text)


@dataclass(frozen=True)
class Media:
    key: str  # X's media_key
    kind: str  # photo, video, animated_gif


@dataclass
class Shown:
    """A post's text as X answers it."""

    text: str
    urls: list[dict[str, Any]] = field(default_factory=list)
    # The whole text when ``text`` was cut: {"text": ..., "entities": {"urls": [...]}}.
    note: dict[str, Any] | None = None


def _display(url: str) -> str:
    shown = _SCHEME.sub("", url)
    return shown if len(shown) <= 26 else shown[:25] + "…"


def _link(start: int, link: str, expanded: str, display: str, **extra: str) -> dict[str, Any]:
    return {
        "start": start,
        "end": start + len(link),
        "url": link,
        "expanded_url": expanded,
        "display_url": display,
        **extra,
    }


def _body(seed: int, post_id: str, text: str) -> tuple[str, list[dict[str, Any]]]:
    out, urls, pos = "", [], 0
    for i, found in enumerate(extract_urls_with_indices(text)):
        start, end = found["indices"]
        out += escape(text[pos:start])
        link = tco(seed, post_id, i)
        url = found["url"]
        expanded = url if _SCHEME.match(url) else "http://" + url
        urls.append(_link(len(out), link, expanded, _display(url)))
        out += link
        pos = end
    return out + escape(text[pos:]), urls


def _cut_point(body: str, urls: list[dict[str, Any]]) -> int:
    cut = CUT_AT
    for u in urls:  # never inside a link
        if u["start"] < cut < u["end"]:
            cut = u["start"]
    amp = body.rfind("&", max(0, cut - 5), cut)  # never inside an escape
    if amp != -1 and ";" not in body[amp:cut]:
        cut = amp
    return cut


def show(seed: int, post_id: str, text: str, media: list[Media], username: str) -> Shown:
    body, urls = _body(seed, post_id, text)
    if len(body) > SHOWN_MAX:
        head = body[: _cut_point(body, urls)].rstrip() + "… "
        link = tco(seed, post_id, "self")
        expanded = f"https://twitter.com/i/web/status/{post_id}"
        kept = [u for u in urls if u["end"] <= len(head)]
        kept.append(_link(len(head), link, expanded, _display(expanded)))
        return Shown(head + link, kept, {"text": body, "entities": {"urls": urls}})
    if media:
        sep = " " if body else ""
        link = tco(seed, post_id, "media")
        page = "video" if media[0].kind in ("video", "animated_gif") else "photo"
        expanded = f"https://x.com/{username}/status/{post_id}/{page}/1"
        display = "pic.x.com/" + link.rsplit("/", 1)[-1]
        for m in media:
            urls.append(_link(len(body) + len(sep), link, expanded, display, media_key=m.key))
        body += sep + link
    return Shown(body, urls)
