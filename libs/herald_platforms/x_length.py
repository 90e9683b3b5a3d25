"""X's weighted length (twitter-text v3) in time linear in the text.

twitter-text finds URLs by trying its URL pattern at every position of the text. On text with
many dots each try runs along the whole dotted run before it fails, so the cost grows with
the square of the length (``"a." * 1000`` takes seconds), and the host names it keeps are
searched again the same way for their ASCII part. This module gives the library's number
while letting the library's own patterns decide every URL and emoji: it only tries them
where they can match.

- A URL's host is a chain of labels (``sub.sub.name.``) that ends in a known top-level
  domain. One right-to-left walk from each top-level domain over the labels before it finds
  every place where a host can start; the URL pattern is tried there and nowhere else, in
  the order ``finditer`` would try them, so the matches are the same.
- An emoji either spans several code points (its first and second ones come from small
  sets) or is a single code point; a single one weighs 2 like any code point past U+10FF,
  so only those below it and the sequences are looked for.
- Character weights are summed with one pattern for the heavy ranges.
"""

from __future__ import annotations

import bisect
import re
import stringprep
import unicodedata
from collections.abc import Callable, Iterator
from functools import lru_cache

from twitter_text.config import config
from twitter_text.extract_urls import (
    default_protocol,
    is_valid_url,
    max_tco_slug_length,
    max_url_length,
)
from twitter_text.regexp import emoji as _emoji
from twitter_text.regexp.extract_url import extract_url
from twitter_text.regexp.invalid_domain_chars import invalid_domain_chars as _invalid_domain_chars
from twitter_text.regexp.invalid_url_without_protocol_preceding_chars import (
    invalid_url_without_protocol_preceding_chars,
)
from twitter_text.regexp.latin_accent_chars import latin_accent_chars as _latin_accent_chars
from twitter_text.regexp.valid_ascii_domain import valid_ascii_domain
from twitter_text.regexp.valid_cctld import valid_cctld
from twitter_text.regexp.valid_gtld import valid_gtld
from twitter_text.regexp.valid_punycode import valid_punycode
from twitter_text.regexp.valid_tco_url import valid_tco_url
from twitter_text.regexp.valid_url_preceding_chars import valid_url_preceding_chars

_OPTIONS = config["defaults"]
_SCALE: int = _OPTIONS["scale"]
_URL_WEIGHT: int = _OPTIONS["transformed_url_length"] * _SCALE
_EMOJI_WEIGHT: int = _OPTIONS["default_weight"]
_HEAVY_WEIGHT: int = _OPTIONS["default_weight"]
_LIGHT_WEIGHT = 100
assert all(r["weight"] == _LIGHT_WEIGHT for r in _OPTIONS["ranges"])
assert _OPTIONS["emoji_parsing_enabled"]

_LINE_ENDINGS = re.compile(r"\r\n|\r|\n")
_HEAVY = re.compile(
    "[^" + "".join(f"\\U{r['start']:08x}-\\U{r['end']:08x}" for r in _OPTIONS["ranges"]) + "]"
)

# --- top-level domains -------------------------------------------------------------------


def _alternatives(pattern: re.Pattern[str]) -> list[str]:
    body = pattern.pattern.split("(?:(?:", 1)[1].rsplit(")(?=", 1)[0]
    return body.split("|")


_TLDS = _alternatives(valid_gtld) + _alternatives(valid_cctld)
_END = "(?=[^0-9a-zA-Z@+-]|$)"
_ASCII_TLDS = frozenset(t for t in _TLDS if t.isascii())
assert all(t.isalnum() for t in _ASCII_TLDS)
# The whole pattern as the URL pattern holds it (case-insensitive), for the rare places
# the quicker tests below cannot decide.
_TLD = re.compile(f"(?:{valid_gtld.pattern}|{valid_cctld.pattern}|{valid_punycode.pattern})", re.I)
# Top-level domains that start with a non-ASCII letter, and ASCII ones holding one.
_TLD_OTHER = re.compile("(?:" + "|".join(t for t in _TLDS if not t[0].isascii()) + ")" + _END, re.I)
_TLD_MIXED = re.compile(
    "(?:" + "|".join(t for t in _TLDS if t[0].isascii() and not t.isascii()) + ")" + _END, re.I
)
_PUNYCODE = re.compile(valid_punycode.pattern, re.I)
# Non-ASCII code points that match an ASCII letter when case is ignored.
CASE_FOLDS_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")
assert not any(re.match("[a-z]", t[0], re.I) for t in _TLDS if not t[0].isascii())
_ASCII_RUN = re.compile(r"[0-9A-Za-z]+")
# Dots a top-level domain may follow: two ASCII letters or digits, or anything not ASCII.
_TLD_DOT_HINT = re.compile(r"\.(?=[0-9A-Za-z][0-9A-Za-z\u0130\u0131\u017f\u212a]|[^\x00-\x7f])")


def tld_at(text: str, j: int) -> bool:
    """Whether the URL pattern's top-level domain (with its end check) matches at ``j``."""
    if j >= len(text):
        return False
    first = text[j]
    if first in CASE_FOLDS_TO_ASCII:
        return _TLD.match(text, j) is not None
    if not first.isascii():
        return _TLD_OTHER.match(text, j) is not None
    run = _ASCII_RUN.match(text, j)
    if run is None:
        return False
    word = run.group().lower()
    if word.startswith("xn") and _PUNYCODE.match(text, j):
        return True
    end = run.end()
    after = text[end] if end < len(text) else ""
    if after in CASE_FOLDS_TO_ASCII:
        return _TLD.match(text, j) is not None
    if word in _ASCII_TLDS and after not in ("@", "+", "-"):
        return True
    return bool(after) and not after.isascii() and _TLD_MIXED.match(text, j) is not None


# --- character classes, decided by the library's own patterns ----------------------------

invalid_domain_chars = _invalid_domain_chars.pattern
latin_accent_chars = _latin_accent_chars.pattern

_DOMAIN_CHAR = re.compile(f"[^{invalid_domain_chars}]", re.I)
_NOT_DOMAIN = re.compile(f"[{invalid_domain_chars}]", re.I)
_before_pattern = valid_url_preceding_chars.pattern
assert _before_pattern.endswith("|^)")
_BEFORE_CHAR = re.compile(_before_pattern[: -len("|^)")] + ")", re.I)
# A host label may start where the character before may precede a URL and the first
# character is a domain character (not "_" or "-").
_HOST_START = re.compile(f"(?<={_BEFORE_CHAR.pattern}){_DOMAIN_CHAR.pattern}", re.I)
_PROTOCOL_BEFORE = re.compile(r"https?://\Z", re.I)
_DOT = re.compile(r"\.")
_NOT_ASCII_LABEL = re.compile(f"[^\\-a-z0-9{latin_accent_chars}]", re.I)


@lru_cache(maxsize=4096)
def _is_domain_char(char: str) -> bool:
    return _DOMAIN_CHAR.fullmatch(char) is not None


def _dots(text: str) -> list[int]:
    return [m.start() for m in _DOT.finditer(text)]


def _tld_dots(text: str) -> list[int]:
    return [m.start() for m in _TLD_DOT_HINT.finditer(text) if tld_at(text, m.start() + 1)]


def _segments(
    dots: list[int],
    tld_dots: list[int],
    label_floor: Callable[[int, int, bool], tuple[int | None, bool]],
) -> list[tuple[int, int]]:
    """The labels where a host can start, walking left from each top-level domain.

    ``label_floor(a, d, chained)`` looks at the label between ``a`` (just after the previous
    dot) and the dot ``d``: it answers the first position from which the rest of the label
    is a valid label (or None) and whether the whole label, from ``a``, is one. ``chained``
    says whether the label after ``d`` leads to a top-level domain (so this one may be a
    subdomain) rather than ``d`` only being followed by the top-level domain itself. The
    answer is ``(floor, d)`` pairs in text order: a host can start only in ``[floor, d)``.
    """
    out: list[tuple[int, int]] = []
    chained_at: set[int] = set()  # dots whose following label leads to a top-level domain
    for tld_dot in reversed(tld_dots):
        if tld_dot in chained_at:
            continue  # walked from the right already, with the laxer subdomain rules
        k = bisect.bisect_left(dots, tld_dot)
        chained = False
        while True:
            d = dots[k]
            a = dots[k - 1] + 1 if k > 0 else 0
            floor, whole = label_floor(a, d, chained)
            if floor is not None:
                out.append((floor, d))
            if not whole or k == 0 or dots[k - 1] in chained_at:
                break
            chained_at.add(dots[k - 1])
            chained = True
            k -= 1
    out.sort()
    return out


# --- URLs ---------------------------------------------------------------------------------


class _Host:
    """The host grammar of twitter-text's URL pattern over one text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.hard = [m.start() for m in _NOT_DOMAIN.finditer(text) if m.group() not in "._-"]

    def label_floor(self, a: int, d: int, chained: bool) -> tuple[int | None, bool]:
        text = self.text
        if d <= a or not _is_domain_char(text[d - 1]):
            return None, False
        k = bisect.bisect_left(self.hard, d) - 1
        floor = self.hard[k] + 1 if k >= 0 and self.hard[k] >= a else a
        if not chained:  # the label just before the top-level domain has no "_"
            floor = max(floor, text.rfind("_", a, d) + 1)
        return floor, floor == a and _is_domain_char(text[a])

    def first_start(self, lo: int, d: int) -> int | None:
        """The first ``u`` in ``[lo, d)`` where a host can start, given the label is valid
        from ``lo`` to ``d``: a domain character that may follow the one before it."""
        if lo == 0 and _is_domain_char(self.text[0]):
            return 0
        found = _HOST_START.search(self.text, max(lo, 1), d)
        return found.start() if found else None

    def match_starts(self, u: int) -> list[int]:
        """Where ``extract_url`` is tried for a host at ``u``: with a protocol before it
        ("https://" ends right at ``u``), then without."""
        out = []
        for size in (8, 7):
            v = u - size
            if v >= 0 and _PROTOCOL_BEFORE.match(self.text, v, u):
                out.append(max(v - 1, 0))
                break
        out.append(max(u - 1, 0))
        return out


def _url_matches(text: str) -> Iterator[re.Match[str]]:
    """The matches ``extract_url.finditer(text)`` gives, in the same order."""
    tlds = _tld_dots(text)
    if not tlds:
        return
    dots = _dots(text)
    host = _Host(text)
    pos = 0
    for lo, d in _segments(dots, tlds, host.label_floor):
        while d > pos:
            u = host.first_start(max(lo, pos + 1 if pos else 0), d)
            if u is None:
                break
            found = None
            for start in host.match_starts(u):
                if start >= pos:
                    found = extract_url.match(text, start)
                    if found is not None:
                        break
            if found is None:
                lo = u + 1
                continue
            yield found
            pos = found.end()


def _ascii_domains(domain: str) -> Iterator[re.Match[str]]:
    """The matches ``valid_ascii_domain.finditer(domain)`` gives, in the same order."""
    tlds = _tld_dots(domain)
    if not tlds:
        return
    dots = _dots(domain)
    bad = [m.start() for m in _NOT_ASCII_LABEL.finditer(domain) if m.group() != "."]

    def label_floor(a: int, d: int, chained: bool) -> tuple[int | None, bool]:
        k = bisect.bisect_left(bad, d) - 1
        floor = bad[k] + 1 if k >= 0 and bad[k] >= a else a
        if floor >= d:
            return None, False
        return floor, floor == a

    pos = 0
    for lo, d in _segments(dots, tlds, label_floor):
        while d > max(lo, pos):
            start = max(lo, pos)
            found = valid_ascii_domain.match(domain, start)
            if found is None:
                lo = start + 1
                continue
            yield found
            pos = found.end()


# The code points IDNA's nameprep maps to nothing (RFC 3454 table B.1), and its label dots.
_MAPPED_TO_NOTHING = re.compile(
    "[" + "".join(f"\\U{c:08x}" for c in sorted(stringprep.b1_set)) + "]"
)
_IDNA_DOTS = re.compile("[\u002e\u3002\uff0e\uff61]")
_MAX_LABEL = 63
# One code point of a label after nameprep stands for at most this many before it
# (canonical composition joins at most four: a Greek vowel with three marks).
_MOST_JOINED = 8


def is_valid_url_quick(url: str, protocol: str, domain: str) -> bool:
    """twitter-text's ``is_valid_url``, answering False at once where its IDNA encoding
    must fail or its result must be too long, before encoding long hosts label by label."""
    labels = _IDNA_DOTS.split(domain)
    # The encoded host keeps every dot, so the URL is at least this long.
    if len(protocol) + len(url) - len(domain) + len(labels) - 1 > max_url_length:
        return False
    for label in labels:
        kept = len(label) - len(_MAPPED_TO_NOTHING.findall(label))
        if kept > _MAX_LABEL * _MOST_JOINED:
            return False  # no encoding brings it under 64 characters
    return is_valid_url(url, protocol, domain)


def extract_urls_with_indices(text: str) -> list[dict[str, object]]:
    """twitter-text's ``extract_urls_with_indices`` (URLs without protocol included)."""
    if text == "" or "." not in text:
        return []
    urls: list[dict[str, object]] = []
    for url_match in _url_matches(text):
        _, before, url, protocol, domain, _, path, _ = url_match.groups()
        end_position = url_match.end()
        start_position = end_position - len(url)
        if not is_valid_url_quick(url, protocol or default_protocol, domain):
            continue
        if protocol is None:
            if invalid_url_without_protocol_preceding_chars.match(before):
                continue
            last_url: dict[str, object] | None = None
            for ascii_match in _ascii_domains(domain):
                last_url = {
                    "url": ascii_match.group(0),
                    "indices": [
                        start_position + ascii_match.start(),
                        start_position + ascii_match.end(),
                    ],
                }
                urls.append(last_url)
            if last_url is None:
                continue
            if path:
                last_url["url"] = url.replace(domain, str(last_url["url"]))
                indices = last_url["indices"]
                assert isinstance(indices, list)
                indices[1] = end_position
        else:
            tco = valid_tco_url.search(url)
            if tco:
                slug = tco.group(1)
                if slug and len(slug) > max_tco_slug_length:
                    continue
                url = tco.group(0)
                end_position = start_position + len(url)
            urls.append({"url": url, "indices": [start_position, end_position]})
    return urls


# --- emoji ---------------------------------------------------------------------------------


def _sequences() -> list[str]:
    return [
        escaped.encode("ascii").decode("unicode_escape")
        for escaped in _emoji.multi_codepoint_emoji_joined.split("|")
    ]


_SEQUENCES = _sequences()
_SINGLES = frozenset(chr(c) for c in _emoji.single_codepoint_emoji_int)
# The library's pattern tries the sequences longest first, then a single code point: at a
# given place it takes the longest sequence found there. A trie finds it in a few steps.
_TRIE: dict[str, dict] = {}  # type: ignore[type-arg]
for _seq in _SEQUENCES:
    _node = _TRIE
    for _char in _seq:
        _node = _node.setdefault(_char, {})
    _node[""] = {}
_SEQUENCE_SECOND = frozenset(s[1] for s in _SEQUENCES)
# Single-code-point emoji that weigh less as plain characters than as an emoji (© and ®).
LIGHT_SINGLES = frozenset(c for c in _SINGLES if _HEAVY.match(c) is None)


def _class(chars: frozenset[str]) -> str:
    return "[" + "".join(f"\\U{ord(c):08x}" for c in sorted(chars)) + "]"


_SEQUENCE_FIRST = frozenset(_TRIE)
# Every sequence's second code point is one of a few dozen (ZWJ, VS16, skin tones, the
# keycap, regional indicators, tags), none of them ASCII: looking for those is quick.
_SEQUENCE_SECOND_CHAR = re.compile(_class(_SEQUENCE_SECOND))
assert all(not c.isascii() for c in _SEQUENCE_SECOND)
_LIGHT_SINGLE = re.compile(_class(LIGHT_SINGLES))


def _sequence_end(text: str, start: int) -> int | None:
    node = _TRIE
    end = None
    i = start
    while i < len(text):
        node = node.get(text[i])  # type: ignore[assignment]
        if node is None:
            break
        i += 1
        if "" in node:
            end = i
    return end


def emoji_sequences(text: str) -> Iterator[tuple[int, int]]:
    """The library's emoji matches that span several code points, as ``(start, end)``.

    Its ``finditer`` takes at each place the longest sequence, else a single code point;
    a single one ends at the next place, so leaving those out moves no other match. (They
    weigh 2 either way, except © and ®, which ``weighted_length`` counts on its own.)
    """
    if text.isascii():
        return
    pos = 0
    for second in _SEQUENCE_SECOND_CHAR.finditer(text):
        start = second.start() - 1
        if start < pos or text[start] not in _SEQUENCE_FIRST:
            continue
        end = _sequence_end(text, start)
        if end is not None and end - start > 1:
            yield start, end
            pos = end


# --- the weight ---------------------------------------------------------------------------


def normalize(text: str) -> str:
    return _LINE_ENDINGS.sub("\n", unicodedata.normalize("NFC", text))


def weighted_length(text: str) -> int:
    """X's weighted length of ``text``: what ``parse_tweet(text).weightedLength`` answers."""
    norm = normalize(text)
    # Code points that weigh 2: the heavy ranges, and © and ® (emoji of their own).
    heavy = [m.start() for m in _HEAVY.finditer(norm)]
    light_emoji = [m.start() for m in _LIGHT_SINGLE.finditer(norm)]
    entities: dict[int, tuple[int, int]] = {}  # start -> (end, weight)
    for url in extract_urls_with_indices(norm):
        indices = url["indices"]
        assert isinstance(indices, list)
        # The library keys URLs by start, the last one winning, and skips by the URL's text.
        entities[indices[0]] = (indices[0] + len(str(url["url"])), _URL_WEIGHT)
    for start, end in emoji_sequences(norm):
        entities.setdefault(start, (end, _EMOJI_WEIGHT))

    def plain(lo: int, hi: int) -> int:
        if hi <= lo:
            return 0
        extra = bisect.bisect_left(heavy, hi) - bisect.bisect_left(heavy, lo)
        extra += bisect.bisect_left(light_emoji, hi) - bisect.bisect_left(light_emoji, lo)
        return (hi - lo) * _LIGHT_WEIGHT + extra * (_EMOJI_WEIGHT - _LIGHT_WEIGHT)

    total = 0
    index = 0
    for start in sorted(entities):
        if start < index:
            continue
        end, weight = entities[start]
        total += plain(index, start) + weight
        index = max(end, start + 1)
    total += plain(index, len(norm))
    return total // _SCALE
