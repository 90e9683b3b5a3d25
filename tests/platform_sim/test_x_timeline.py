"""The simulator answers an X user's posts as X does: text as shown (t.co links, HTML escapes,
a trailing media link, long text cut with the rest in note_tweet), fields on request, and
start_time, max_results and pagination_token honoured."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from herald_platform_sim.x_text import weighted_length
from herald_platforms.x.openapi import validator
from tests.platform_sim.conftest import x_auth

TCO = re.compile(r"https://t\.co/[0-9A-Za-z]{10}")
FIELDS = {"tweet.fields": "created_at,entities,note_tweet,attachments"}


@pytest.fixture
async def x(http):
    h = await x_auth(http)
    me = (await http.get("/x/2/users/me", headers=h)).json()["data"]
    http.headers.update(h)
    return http, me


async def post(http: httpx.AsyncClient, text: str, media_ids: list[str] | None = None) -> str:
    body: dict = {"text": text}
    if media_ids:
        body["media"] = {"media_ids": media_ids}
    r = await http.post("/x/2/tweets", json=body)
    assert r.status_code == 201, r.text
    return str(r.json()["data"]["id"])


async def photo(http: httpx.AsyncClient) -> str:
    r = await http.post(
        "/x/2/media/upload",
        files={"media": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")},
        data={"media_category": "tweet_image"},
    )
    assert r.status_code == 200, r.text
    return str(r.json()["data"]["id"])


async def timeline(http: httpx.AsyncClient, uid: str, **params: str) -> httpx.Response:
    return await http.get(f"/x/2/users/{uid}/tweets", params=params)


def one(r: httpx.Response) -> dict:
    assert r.status_code == 200, r.text
    errors = list(validator("GetUsersPostsResponse").iter_errors(r.json()))
    assert not errors, [e.message for e in errors][:3]
    return r.json()["data"][0]


async def test_urls_become_tco_links_and_html_is_escaped(x):
    http, me = x
    sent = "Q&A <live> at https://example.com/a?b=1&c=2 and example.org"
    await post(http, sent)
    item = one(await timeline(http, me["id"], **FIELDS))
    links = TCO.findall(item["text"])
    assert len(links) == 2
    assert item["text"] == f"Q&amp;A &lt;live&gt; at {links[0]} and {links[1]}"
    urls = item["entities"]["urls"]
    assert [u["expanded_url"] for u in urls] == [
        "https://example.com/a?b=1&c=2",
        "http://example.org",
    ]
    for u in urls:
        assert item["text"][u["start"] : u["end"]] == u["url"]
    assert item["created_at"].endswith("Z")
    # Without tweet.fields only the default fields come back.
    bare = one(await timeline(http, me["id"]))
    assert set(bare) == {"id", "text", "edit_history_tweet_ids"}
    assert bare["text"] == item["text"]


async def test_media_adds_a_trailing_link(x):
    http, me = x
    pid = await post(http, "with a photo", [await photo(http)])
    item = one(await timeline(http, me["id"], **FIELDS))
    link = TCO.fullmatch(item["text"].removeprefix("with a photo "))
    assert link is not None
    media_entity = item["entities"]["urls"][-1]
    assert media_entity["expanded_url"] == f"https://x.com/{me['username']}/status/{pid}/photo/1"
    assert media_entity["media_key"] == item["attachments"]["media_keys"][0]
    # A post with only media is only the link.
    await post(http, "", [await photo(http)])
    assert TCO.fullmatch(one(await timeline(http, me["id"]))["text"])


async def test_text_near_the_limit_comes_back_cut_with_a_note(x):
    http, me = x
    sent = ("a & b " * 47)[:280]
    assert weighted_length(sent) == 280  # X takes it...
    await post(http, sent)
    item = one(await timeline(http, me["id"], **FIELDS))
    # ... and shows it longer than 280 once escaped: cut near 270, a link to the post.
    head, _, link = item["text"].rpartition("… ")
    assert TCO.fullmatch(link)
    assert 260 <= len(head) <= 270
    assert item["note_tweet"]["text"] == sent.replace("&", "&amp;")
    assert sent.replace("&", "&amp;").startswith(head)
    # The 2.167 description's name for it is answered too.
    named = one(await timeline(http, me["id"], **{"tweet.fields": "note_post"}))
    assert named["note_post"] == item["note_tweet"]


async def test_pages_newest_first_with_tokens_and_start_time(x, sim_clean):
    http, me = x
    ids = [await post(http, f"post {i}") for i in range(12)]
    assert ids == sorted(ids, key=int)  # ids grow with time, as X's do
    first = (await timeline(http, me["id"], max_results="5")).json()
    assert [p["id"] for p in first["data"]] == ids[::-1][:5]
    assert first["meta"]["result_count"] == 5
    seen = [p["id"] for p in first["data"]]
    token = first["meta"]["next_token"]
    while token:
        page = (await timeline(http, me["id"], max_results="5", pagination_token=token)).json()
        seen += [p["id"] for p in page["data"]]
        token = page["meta"].get("next_token")
    assert seen == ids[::-1]
    # Posts from before start_time are left out.
    await sim_clean.advance_clock(600)
    later = await post(http, "later")
    since = (datetime.now(UTC) + timedelta(seconds=300)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = (await timeline(http, me["id"], start_time=since)).json()
    assert [p["id"] for p in recent["data"]] == [later]
    nothing = (await timeline(http, me["id"], since_id=later)).json()
    assert nothing == {"meta": {"result_count": 0}}


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"max_results": "3"}, "between 5 and 100"),
        ({"max_results": "101"}, "between 5 and 100"),
        ({"count": "10"}, "[count] is not one of"),
        ({"tweet.fields": "colour"}, "tweet.fields"),
        ({"start_time": "yesterday"}, "RFC3339"),
        ({"pagination_token": "nope"}, "pagination_token"),
    ],
)
async def test_bad_parameters_are_refused_like_x(x, params, needle):
    http, me = x
    r = await timeline(http, me["id"], **params)
    assert r.status_code == 400
    assert r.json()["type"] == "https://api.x.com/2/problems/invalid-request"
    assert needle in r.json()["errors"][0]["message"]


async def test_lookup_shows_the_same_text(x):
    http, me = x
    pid = await post(http, "see https://example.com & more")
    looked = await http.get("/x/2/tweets", params={"ids": pid, "tweet.fields": "entities"})
    listed = one(await timeline(http, me["id"], **{"tweet.fields": "entities"}))
    assert looked.json()["data"][0] == listed
    assert "public_metrics" not in listed  # only when asked for
