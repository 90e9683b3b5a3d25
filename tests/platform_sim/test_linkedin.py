"""LinkedIn as documented: the version and protocol headers on every /rest call, and a post's
little-text commentary cut at the first unescaped reserved character while still answering 201."""

from __future__ import annotations

import pytest

from herald_platform_sim.littletext import Parsed, parse
from tests.platform_sim.conftest import LI_HEADERS, li_token


@pytest.fixture
async def li(http):
    token, urn = await li_token(http)
    return http, urn, {"authorization": f"Bearer {token}", **LI_HEADERS}


async def create(http, urn, headers, commentary):  # type: ignore[no-untyped-def]
    body = {"author": urn, "commentary": commentary, "visibility": "PUBLIC"}
    return await http.post("/linkedin/rest/posts", json=body, headers=headers)


@pytest.mark.parametrize(
    ("missing", "version", "status", "code"),
    [
        ("linkedin-version", None, 400, "VERSION_MISSING"),
        (None, "202401", 426, "NONEXISTENT_VERSION"),  # sunset: older than a year
        (None, "209912", 426, "NONEXISTENT_VERSION"),  # not released
        (None, "latest", 426, "NONEXISTENT_VERSION"),
        ("x-restli-protocol-version", None, 400, None),
    ],
)
async def test_every_rest_call_checks_version_and_protocol(li, missing, version, status, code):
    http, urn, headers = li
    headers = {k: v for k, v in headers.items() if k != missing}
    if version:
        headers["linkedin-version"] = version
    share = "urn:li:share:1"
    calls = [
        ("POST", "/linkedin/rest/posts", {"json": {"author": urn, "commentary": "x"}}),
        ("GET", "/linkedin/rest/posts", {"params": {"q": "author", "author": urn}}),
        ("POST", "/linkedin/rest/images", {"params": {"action": "initializeUpload"}}),
        ("GET", f"/linkedin/rest/socialActions/{share}", {}),
        ("GET", "/linkedin/rest/memberCreatorPostAnalytics", {"params": {"q": "entity"}}),
    ]
    for method, path, extra in calls:
        r = await http.request(method, path, headers=headers, **extra)
        assert r.status_code == status, (path, r.text)
        if code:
            assert r.json()["code"] == code


async def test_the_current_month_and_the_last_eleven_are_served(li, sim_clean):
    http, urn, headers = li
    assert (
        await create(http, urn, {**headers, "linkedin-version": "202610"}, "a")
    ).status_code == 201
    await sim_clean.advance_clock(365 * 86400)  # a year on, 202610 is sunset
    late = await create(http, urn, {**headers, "linkedin-version": "202610"}, "b")
    assert late.status_code == 426


@pytest.mark.parametrize(
    ("commentary", "shown"),
    [
        ("Launch day (#hashtag) with @ada", "Launch day "),
        ("ok #tag then * star", "ok #tag then "),
        ("a_b", "a"),
        ("a ~ b", "a "),
        ("Launch day \\(#hashtag\\) with \\@ada", "Launch day (#hashtag) with @ada"),
        ("Hi @[Ada Lovelace](urn:li:person:abc123)!", "Hi Ada Lovelace!"),
        ("{hashtag|\\#|Launch} today", "#Launch today"),
        ("trailing backslash \\", "trailing backslash "),
    ],
)
async def test_commentary_is_cut_at_the_first_unescaped_reserved_character(
    li, sim_clean, commentary, shown
):
    http, urn, headers = li
    r = await create(http, urn, headers, commentary)
    assert r.status_code == 201  # LinkedIn says nothing about the cut
    published = await sim_clean.published("LINKEDIN")
    assert published[-1]["text"] == shown
    assert published[-1]["external_id"] == r.headers["x-restli-id"]


async def test_reads_answer_the_kept_text_rewritten(li):
    http, urn, headers = li
    await create(http, urn, headers, "Go #team \\(really\\) now (cut here")
    r = await http.get(
        "/linkedin/rest/posts", params={"q": "author", "author": urn}, headers=headers
    )
    assert r.json()["elements"][0]["commentary"] == "Go {hashtag|\\#|team} \\(really\\) now "


async def test_posts_page_by_start_and_count(li):
    http, urn, headers = li
    ids = [(await create(http, urn, headers, f"post {i}")).headers["x-restli-id"] for i in range(5)]
    seen = []
    start = 0
    while True:
        r = await http.get(
            "/linkedin/rest/posts",
            params={"q": "author", "author": urn, "start": start, "count": 2},
            headers=headers,
        )
        page = r.json()
        seen += [e["id"] for e in page["elements"]]
        if not any(link["rel"] == "next" for link in page["paging"].get("links", [])):
            break
        start += 2
    assert seen == ids[::-1]
    assert page["paging"]["total"] == 5


def test_parse_keeps_markup_and_cuts_elsewhere():
    assert parse("x \\| y").shown == "x | y"
    assert parse("x | y") == Parsed("x ", "x ", truncated=True)
    assert parse("#a_b") == Parsed("#a", "{hashtag|\\#|a}", truncated=True)
