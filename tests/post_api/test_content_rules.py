"""Per-platform content rules, each at its limit and one past it."""

from __future__ import annotations

import pytest

from tests.factories import connect_all, register

IMG = "https://cdn.example.com/a.jpg"


@pytest.fixture
async def caller(client, sessionmaker, box):
    c = await register(client)
    await connect_all(sessionmaker, box, c.id)
    return c


async def _create(client, caller, **body):
    body.setdefault("content", "")
    return await client.post("/v1/posts", json=body, headers=caller.headers)


def _x_cases():
    url = "https://example.com/" + "a" * 200  # counts 23 whatever its length
    return [
        ("plain", "a" * 280, "a" * 281, 281),
        ("url", url + " " + "b" * 256, url + " " + "b" * 257, 281),  # 23 + 1 + n
        ("cjk", "日" * 140, "日" * 141, 282),  # CJK weighs 2
        ("emoji", "😀" * 140, "😀" * 140 + "a", 281),  # emoji weighs 2
        ("family-emoji", "👨‍👩‍👧" * 140, "👨‍👩‍👧" * 141, 282),  # a ZWJ sequence is one emoji
    ]


@pytest.mark.parametrize(("name", "ok", "over", "measured"), _x_cases())
async def test_x_weighted_length(client, caller, name, ok, over, measured):
    good = await _create(client, caller, content=ok, platforms=["TWITTER"])
    assert good.status_code == 201, (name, good.text)
    bad = await _create(client, caller, content=over, platforms=["TWITTER"])
    assert bad.status_code == 422, name
    err = bad.json()["errors"][0]
    assert err["platform"] == "TWITTER"
    assert err["limit"] == 280
    assert err["measured"] == measured
    assert bad.json()["field"] == "content"
    assert "TWITTER" in bad.json()["detail"]
    assert "280" in bad.json()["detail"]


@pytest.mark.parametrize(
    ("platform", "limit", "media"),
    [("LINKEDIN", 3000, []), ("INSTAGRAM", 2200, [IMG]), ("FACEBOOK", 63206, [])],
)
async def test_text_limits(client, caller, platform, limit, media):
    good = await _create(
        client, caller, content="é" * limit, platforms=[platform], media_urls=media
    )
    assert good.status_code == 201, good.text
    bad = await _create(
        client, caller, content="é" * (limit + 1), platforms=[platform], media_urls=media
    )
    assert bad.status_code == 422
    err = bad.json()["errors"][0]
    assert (err["platform"], err["limit"], err["measured"]) == (platform, limit, limit + 1)


async def test_instagram_needs_an_image(client, caller):
    bad = await _create(client, caller, content="no picture", platforms=["INSTAGRAM"])
    assert bad.status_code == 422
    assert bad.json()["field"] == "media_urls"
    assert bad.json()["errors"][0]["rule"] == "media_required"


async def test_x_takes_up_to_four_images(client, caller):
    four = [f"https://cdn.example.com/{i}.jpg" for i in range(4)]
    good = await _create(client, caller, content="pics", platforms=["TWITTER"], media_urls=four)
    assert good.status_code == 201
    five = four + ["https://cdn.example.com/4.jpg"]
    bad = await _create(client, caller, content="pics", platforms=["TWITTER"], media_urls=five)
    assert bad.status_code == 422
    err = bad.json()["errors"][0]
    assert (err["platform"], err["rule"], err["limit"], err["measured"]) == (
        "TWITTER",
        "media_count",
        4,
        5,
    )


async def test_instagram_carousel_up_to_ten(client, caller):
    ten = [f"https://cdn.example.com/{i}.jpg" for i in range(10)]
    good = await _create(client, caller, content="c", platforms=["INSTAGRAM"], media_urls=ten)
    assert good.status_code == 201
    bad = await _create(
        client, caller, content="c", platforms=["INSTAGRAM"], media_urls=ten + [IMG]
    )
    assert bad.status_code == 422


async def test_instagram_hashtag_limit(client, caller):
    tags30 = " ".join(f"#t{i}" for i in range(30))
    good = await _create(client, caller, content=tags30, platforms=["INSTAGRAM"], media_urls=[IMG])
    assert good.status_code == 201
    bad = await _create(
        client, caller, content=tags30 + " #t30", platforms=["INSTAGRAM"], media_urls=[IMG]
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["rule"] == "hashtags"


async def test_variant_is_checked_for_its_platform_and_named(client, caller):
    bad = await _create(
        client,
        caller,
        content="short",
        platforms=["TWITTER", "LINKEDIN"],
        content_variants={"TWITTER": "x" * 281},
    )
    assert bad.status_code == 422
    assert bad.json()["field"] == "content_variants.TWITTER"
    # The long LinkedIn-only text is fine when X gets its own short variant.
    good = await _create(
        client,
        caller,
        content="y" * 2000,
        platforms=["TWITTER", "LINKEDIN"],
        content_variants={"TWITTER": "short"},
    )
    assert good.status_code == 201


async def test_every_broken_rule_is_listed(client, caller):
    bad = await _create(
        client, caller, content="z" * 3001, platforms=["TWITTER", "LINKEDIN", "INSTAGRAM"]
    )
    platforms = {(e["platform"], e["rule"]) for e in bad.json()["errors"]}
    assert platforms == {
        ("TWITTER", "text_length"),
        ("LINKEDIN", "text_length"),
        ("INSTAGRAM", "text_length"),
        ("INSTAGRAM", "media_required"),
    }


@pytest.mark.parametrize(
    "text", ["plain words #tag @who", "x" * 300, "a.co", "see https://example.com/a", "日本 ok"]
)
def test_x_fast_path_agrees_with_the_full_parse(text):
    from twitter_text import parse_tweet

    from herald_platforms.rules import x_weighted_length

    assert x_weighted_length(text) == parse_tweet(text).weightedLength
