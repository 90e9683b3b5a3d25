"""LinkedIn's "little" text format, which a post's ``commentary`` is written in.

The reserved characters ``\\ | { } @ [ ] ( ) < > # * _ ~`` are markup: written as plain text
they must be backslash-escaped. The elements, as LinkedIn's little-text-format page lists them:
- an escape ``\\x``: the character x;
- a mention ``@[Name](urn:li:person:…)`` or ``(urn:li:organization:…)``: shown as Name;
- a hashtag ``#tag`` (letters and digits) or the template ``{hashtag|\\#|tag}``: shown as #tag.
Any other reserved character ends the text there: LinkedIn keeps what came before it and
still answers 201. LinkedIn answers the text back re-written, hashtags as templates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

RESERVED = frozenset("\\|{}@[]()<>#*_~")
_MENTION = re.compile(r"@\[((?:[^\]\\]|\\.)*)\]\((urn:li:(?:person|organization):[A-Za-z0-9_-]+)\)")
_TEMPLATE = re.compile(r"\{hashtag\|\\?[#＃]\|([^\W_]+)\}")
_HASHTAG = re.compile(r"#([^\W_]+)")
_ESCAPED = re.compile(r"\\(.)")


@dataclass(frozen=True)
class Parsed:
    shown: str  # the text as readers see it
    little: str  # the text as LinkedIn keeps and answers it
    truncated: bool


def _escape(text: str) -> str:
    return "".join("\\" + c if c in RESERVED else c for c in text)


def _template(tag: str) -> str:
    return "{hashtag|\\#|" + tag + "}"


def parse(commentary: str) -> Parsed:
    shown: list[str] = []
    little: list[str] = []
    i, n = 0, len(commentary)
    while i < n:
        c = commentary[i]
        if c == "\\" and i + 1 < n:
            shown.append(commentary[i + 1])
            little.append(_escape(commentary[i + 1]))
            i += 2
            continue
        match = None
        if c == "@":
            match = _MENTION.match(commentary, i)
            if match:
                name = _ESCAPED.sub(r"\1", match.group(1))
                shown.append(name)
                little.append(f"@[{_escape(name)}]({match.group(2)})")
        elif c == "{":
            match = _TEMPLATE.match(commentary, i)
        elif c == "#":
            match = _HASHTAG.match(commentary, i)
        if match is not None and c in "{#":
            shown.append("#" + match.group(1))
            little.append(_template(match.group(1)))
        if match is not None:
            i = match.end()
            continue
        if c in RESERVED:
            break
        shown.append(c)
        little.append(c)
        i += 1
    return Parsed("".join(shown), "".join(little), i < n)
