"""X's weighted length in linear time gives what twitter-text gives, on every text tried."""

from __future__ import annotations

import random
import re

import pytest
from twitter_text import parse_tweet

from herald_platforms import x_length
from herald_platforms.rules import x_weighted_length

# Pieces that exercise every branch of the rules: hosts with and without a protocol, known
# and unknown top-level domains (ASCII, non-ASCII, punycode, mixed), ports, paths with
# parentheses and queries, t.co links, "@" and "#" next to hosts, labels with "_" and "-",
# characters that match ASCII letters when case is ignored, IDNA dots and characters IDNA
# drops, emoji sequences (ZWJ, skin tones, flags, keycaps), © and ®, CJK, combining marks,
# line endings and directional marks.
PIECES = [
    "a", "b", "x", "www", "e", "ö", "é", "中", "文网", "例え", "テスト", "삼성", "рф", "РФ",
    ".", ".", ".", "com", "co", "uk", "org", "jp", "onion", "xn--", "fiq", "xn--p1ai",
    "vermögensberatung", "http://", "https://", "HTTPS://", "t.co/", "/", "//", ":", "80",
    "-", "_", "ab-c", "a_b", "@", "＠", "#", "(", ")", "?", "=", "&", "!", ",", "'", "~",
    "|", "%20", "$", "K", "\u212a", "ſ", "ı", "İ", "。", "\u200d", "\ufe0f", "\u00ad",
    "\u0301", "\u202a", "\ufeff", " ", " ", "\n", "\r\n", "\t", "😀", "👨", "👩", "👧",
    "🏽", "🇫", "🇷", "1", "#", "\u20e3", "©", "®", "™", "❤", "日本語",
]  # fmt: skip

REAL_TEXTS = [
    "",
    "Hello world",
    "english text 日本語 😷 https://example.com",
    "See https://example.com/path?q=1&r=2#frag and www.example.org/(a)b.",
    "http://twitter.com/これは日本語です。example.com中国語",
    "Launch day 🚀🚀 at example.co.uk, tickets: https://t.co/abcdef1234?x=1",
    "👨‍👩‍👧‍👦 family 🇫🇷 flag © ® ™ 1️⃣ #️⃣ 👍🏽",
    "Write to me@example.com or @handle, #tag, $CASH",
    "Ünïcödé vermögensberatung.de xn--fiq.com a.xn--fiqs8s 例え.テスト",
    "127.0.0.1:8080/x 1.2.3.4 a.b.c.d.e.f.g.h.com",
    "trailing dot example.com. and (example.com) and 'example.com'",
    "line\r\nbreaks\rand\nmore é\u0301 combining",
]


def _random_texts(seed: int, count: int, pieces: int) -> list[str]:
    rnd = random.Random(seed)
    return ["".join(rnd.choices(PIECES, k=rnd.randint(0, pieces))) for _ in range(count)]


@pytest.mark.parametrize("text", REAL_TEXTS)
def test_real_texts_weigh_as_twitter_text_says(text):
    assert x_length.weighted_length(text) == parse_tweet(text).weightedLength


def test_random_texts_weigh_as_twitter_text_says():
    mismatches = [
        (text, x_length.weighted_length(text), parse_tweet(text).weightedLength)
        for text in _random_texts(seed=8, count=3000, pieces=30)
        if x_length.weighted_length(text) != parse_tweet(text).weightedLength
    ]
    assert mismatches == []


def test_urls_are_the_ones_twitter_text_extracts():
    from twitter_text import extract_urls_with_indices

    for text in _random_texts(seed=9, count=1500, pieces=20):
        norm = x_length.normalize(text)
        assert x_length.extract_urls_with_indices(norm) == extract_urls_with_indices(norm), text


def test_top_level_domain_test_agrees_with_the_pattern():
    for text in _random_texts(seed=10, count=1500, pieces=12):
        for j in range(len(text)):
            assert x_length.tld_at(text, j) == (x_length._TLD.match(text, j) is not None), (
                text,
                j,
            )


def test_only_four_non_ascii_code_points_match_ascii_letters_ignoring_case():
    letter = re.compile("[a-z]", re.I)
    found = {
        chr(c)
        for c in range(0x80, 0x110000)
        if not 0xD800 <= c <= 0xDFFF and letter.match(chr(c)) is not None
    }
    assert found == x_length.CASE_FOLDS_TO_ASCII


def test_long_dotted_text_is_measured_exactly():
    # twitter-text needs minutes for this; every character weighs 1 and none is a URL.
    assert x_weighted_length("a." * 50_000) == 100_000
    assert x_weighted_length("a.co." * 20_000) == 100_000  # one host, far too long for a URL
    assert x_weighted_length("http://a" + "\u200d" * 50_000 + ".com") == 23  # IDNA drops ZWJ


def test_long_texts_of_short_urls_count_23_each():
    text = " ".join(["https://example.com/a.b.c"] * 1000)
    assert x_weighted_length(text) == 23 * 1000 + 999
