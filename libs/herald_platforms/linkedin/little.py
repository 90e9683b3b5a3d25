"""Plain text to and from LinkedIn's "little" text format (a post's ``commentary``).

The characters ``\\ | { } @ [ ] ( ) < > # * _ ~`` are markup in little text; left unescaped
where they are not markup, LinkedIn cuts the post at the first one and still answers 201.
Herald's texts are plain: every reserved character is escaped, except
a ``#`` that opens a hashtag (``#word``), which stays a hashtag. ``@name`` is not a mention
in little text (mentions need a URN), so it is escaped and arrives as written.
"""

from __future__ import annotations

import re

RESERVED = frozenset("\\|{}@[]()<>#*_~")
_MENTION = re.compile(r"@\[((?:[^\]\\]|\\.)*)\]\(urn:li:[a-zA-Z]+:[^)]+\)")
_TEMPLATE = re.compile(r"\{hashtag\|\\?[#＃]\|([^}]*)\}")
_ESCAPE = re.compile(r"\\(.)")


def _opens_hashtag(text: str, i: int) -> bool:
    after = text[i + 1 : i + 2]
    before = text[i - 1 : i]
    return bool(after) and after.isalnum() and not before.isalnum()


def escape(text: str) -> str:
    """``text`` as little text that LinkedIn shows exactly as written."""
    out = []
    for i, c in enumerate(text):
        if c in RESERVED and not (c == "#" and _opens_hashtag(text, i)):
            out.append("\\")
        out.append(c)
    return "".join(out)


def plain(little: str) -> str:
    """The text a little-text ``commentary`` shows: escapes undone, hashtag templates as
    ``#tag``, mentions as the name."""
    text = _TEMPLATE.sub(lambda m: "#" + m.group(1), little)
    text = _MENTION.sub(lambda m: m.group(1), text)
    return _ESCAPE.sub(r"\1", text)
