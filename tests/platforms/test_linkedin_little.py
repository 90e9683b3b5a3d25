"""LinkedIn commentary is written as little text that shows exactly the user's text."""

from __future__ import annotations

import pytest

from herald_platforms.linkedin.little import escape, plain


@pytest.mark.parametrize(
    ("text", "little"),
    [
        ("Launch (#hashtag) with @ada", "Launch \\(#hashtag\\) with \\@ada"),
        ("a_b * c ~ d | e", "a\\_b \\* c \\~ d \\| e"),
        ("{x} [y] <z> \\", "\\{x\\} \\[y\\] \\<z\\> \\\\"),
        ("C# and #1 and ##two", "C\\# and #1 and \\##two"),
        ("no markup here", "no markup here"),
    ],
)
def test_reserved_characters_are_escaped_and_hashtags_kept(text, little):
    assert escape(text) == little
    assert plain(escape(text)) == text


def test_plain_reads_what_linkedin_answers():
    answered = "Go {hashtag|\\#|team} \\(really\\) @[Ada](urn:li:person:abc) now"
    assert plain(answered) == "Go #team (really) Ada now"
