"""Content rules per platform: text length and media counts, checked before scheduling.

X counts weighted characters by the twitter-text v3 rules (a URL counts 23, CJK and emoji
count 2), in time linear in the text (see ``x_length``); the others count Unicode code
points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from herald_db.enums import Platform
from herald_platforms import x_length


@dataclass(frozen=True, slots=True)
class Limits:
    max_text: int
    max_media: int
    min_media: int = 0
    max_hashtags: int | None = None
    max_mentions: int | None = None


LIMITS: dict[Platform, Limits] = {
    Platform.TWITTER: Limits(max_text=280, max_media=4),
    Platform.INSTAGRAM: Limits(
        max_text=2200, max_media=10, min_media=1, max_hashtags=30, max_mentions=20
    ),
    Platform.LINKEDIN: Limits(max_text=3000, max_media=20),
    Platform.FACEBOOK: Limits(max_text=63206, max_media=10),
}

_HASHTAG = re.compile(r"(?:^|\s)#\w+")
_MENTION = re.compile(r"(?:^|\s)@\w+")


@dataclass(frozen=True, slots=True)
class RuleViolation:
    platform: Platform
    rule: str
    limit: int
    measured: int
    message: str


def x_weighted_length(text: str) -> int:
    """X's weighted length (twitter-text v3).

    Plain ASCII with no dot holds no URL and no emoji, and every ASCII character weighs 1:
    its weighted length is its length, without the full parse.
    """
    if text.isascii() and "." not in text:
        return len(text)
    return x_length.weighted_length(text)


def text_length(platform: Platform, text: str) -> int:
    if platform is Platform.TWITTER:
        return x_weighted_length(text)
    return len(text)


def check(platform: Platform, text: str, media_count: int) -> list[RuleViolation]:
    limits = LIMITS[platform]
    name = platform.value
    out: list[RuleViolation] = []
    length = text_length(platform, text)
    if length > limits.max_text:
        unit = "weighted characters" if platform is Platform.TWITTER else "characters"
        out.append(
            RuleViolation(
                platform,
                "text_length",
                limits.max_text,
                length,
                f"{name} allows {limits.max_text} {unit}; this text has {length}.",
            )
        )
    if media_count > limits.max_media:
        out.append(
            RuleViolation(
                platform,
                "media_count",
                limits.max_media,
                media_count,
                f"{name} allows at most {limits.max_media} media items; this post has "
                f"{media_count}.",
            )
        )
    if media_count < limits.min_media:
        out.append(
            RuleViolation(
                platform,
                "media_required",
                limits.min_media,
                media_count,
                f"{name} needs at least {limits.min_media} image; this post has none.",
            )
        )
    for rule, pattern, limit, what in (
        ("hashtags", _HASHTAG, limits.max_hashtags, "hashtags"),
        ("mentions", _MENTION, limits.max_mentions, "@ mentions"),
    ):
        if limit is None:
            continue
        found = len(pattern.findall(text))
        if found > limit:
            message = f"{name} allows {limit} {what}; this text has {found}."
            out.append(RuleViolation(platform, rule, limit, found, message))
    return out
