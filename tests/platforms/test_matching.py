"""Finding a sent post among the posts a platform lists, after the platform's own changes
to its text (herald_platforms.matching). The listed forms are written as the platforms
document them, and also produced by the simulator's own renderers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from herald_platform_sim import littletext, x_text
from herald_platforms import matching
from herald_platforms.base import Found
from herald_platforms.linkedin import little
from herald_platforms.matching import Listed

T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


# -- X --------------------------------------------------------------------------------------


def test_x_text_with_a_link_an_ampersand_and_an_image_matches():
    sent = "Q&A <live> at https://example.com/a?b=1&c=2 tonight"
    shown = "Q&amp;A &lt;live&gt; at https://t.co/AbC123xyZ0 tonight https://t.co/MeDiA00001"
    assert matching.x_matches(sent, Listed("1", T0, shown))
    assert not matching.x_matches("Q&A <live> tomorrow", Listed("1", T0, shown))


def test_x_as_the_simulator_shows_it():
    sent = "Launch & learn: example.org/docs and https://x.com/a_b?c=1 <3"
    photo = [x_text.Media("3_1", "photo")]
    shown = x_text.show(7, "1861", sent, photo, "ada")
    assert shown.text != sent  # X changed it: t.co links, escapes, a media link
    assert matching.x_matches(sent, Listed("1861", T0, shown.text))


def test_x_a_typed_entity_stays_what_was_typed():
    sent = "Write &amp; for an ampersand"
    shown = x_text.show(7, "5", sent, [], "ada").text  # "&amp;amp;"
    assert matching.x_matches(sent, Listed("5", T0, shown))
    assert not matching.x_matches("Write & for an ampersand", Listed("5", T0, shown))


def test_x_long_text_matches_by_note_tweet_or_by_its_start():
    sent = "A long one. " + "word " * 80 + "https://example.com/end"
    shown = x_text.show(7, "9", sent, [], "ada")
    assert shown.note is not None
    assert "\u2026 https://t.co/" in shown.text
    with_note = Listed("9", T0, shown.text, full_text=shown.note["text"])
    assert matching.x_matches(sent, with_note)
    assert matching.x_matches(sent, Listed("9", T0, shown.text))  # cut: its start matches
    other = "A long one. " + "word " * 79 + "different ending"
    assert not matching.x_matches(other, with_note)


def test_x_a_short_cut_start_is_not_enough():
    assert not matching.x_matches(
        "Hello there, and more", Listed("1", T0, "Hello\u2026 https://t.co/AbC123xyZ0")
    )


@pytest.mark.parametrize("sent", ["", "   ", "https://example.com/only-a-link", "example.org"])
def test_x_text_without_words_cannot_be_checked(sent):
    assert not matching.checkable(sent, matching.x_matches)
    photo_only = x_text.show(7, "3", sent, [x_text.Media("3_1", "photo")], "ada").text
    assert not matching.x_matches(sent, Listed("3", T0, photo_only))


# -- LinkedIn, Instagram, Facebook ----------------------------------------------------------


@pytest.mark.parametrize(
    "sent",
    [
        "Launch day (#hashtag) with @ada",
        "Q&A: [slides] {v2} <soon> a_b *bold* ~x~ | pipe \\ slash #1 C#",
    ],
)
def test_linkedin_commentary_as_linkedin_answers_it(sent):
    answered = littletext.parse(little.escape(sent)).little  # templates and escapes
    assert answered != sent
    assert matching.linkedin_matches(sent, Listed("urn:li:share:1", T0, answered))
    assert not matching.linkedin_matches(sent + "!", Listed("urn:li:share:1", T0, answered))


def test_a_post_cut_by_linkedin_does_not_match_the_whole_text():
    sent = "Launch day (#hashtag) with @ada"
    cut = littletext.parse(sent).little  # sent unescaped: LinkedIn cuts at "("
    assert not matching.linkedin_matches(sent, Listed("urn:li:share:1", T0, cut))


def test_captions_and_messages_match_as_sent_and_empty_never_does():
    assert matching.same_text(" Sunset  over\nthe bay ", Listed("1", T0, "Sunset over the bay"))
    assert not matching.same_text("", Listed("1", T0, ""))
    assert not matching.checkable("  ", matching.same_text)


# -- the search -----------------------------------------------------------------------------


def test_an_identical_post_from_before_the_window_never_matches():
    older = Listed("1", at(-600), "Same words")
    assert matching.find("Same words", [older], matching.same_text, since=at(-60)) is None
    newer = Listed("2", at(5), "Same words")
    found = matching.find("Same words", [newer, older], matching.same_text, since=at(-60))
    assert found == Found("2", at(5))


def test_ids_held_for_other_posts_are_not_taken():
    mine, theirs = Listed("2", at(3), "Same words"), Listed("1", at(1), "Same words")
    items = [mine, theirs]  # newest first
    assert matching.find("Same words", items, matching.same_text, since=at(-60)) == Found(
        "1", at(1)
    )
    found = matching.find("Same words", items, matching.same_text, since=at(-60), exclude={"1"})
    assert found == Found("2", at(3))


def test_a_post_without_a_time_is_outside_any_window():
    item = Listed("1", None, "Same words")
    assert matching.find("Same words", [item], matching.same_text, since=at(0)) is None
    assert matching.find("Same words", [item], matching.same_text, since=None) == Found("1")


def test_a_page_that_reaches_before_the_window_ends_the_search():
    page = [Listed("3", at(10), "a"), Listed("2", at(-30), "b")]
    assert matching.older_than(page, at(0))
    assert not matching.older_than(page[:1], at(0))
    assert not matching.older_than(page, None)
