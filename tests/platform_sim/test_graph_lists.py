"""Instagram's media list and a Page's published posts as Graph answers them: the fields asked
for, newest first, paged by cursors and bounded by since/until."""

from __future__ import annotations

import httpx

from tests.platform_sim.conftest import fb_page, ig_token


async def all_pages(http: httpx.AsyncClient, url: str, params: dict) -> list[dict]:
    seen: list[dict] = []
    answer = (await http.get(url, params=params)).json()
    while True:
        seen += answer["data"]
        following = answer.get("paging", {}).get("next")
        if not following:
            return seen
        answer = (await http.get(following)).json()


async def test_instagram_media_pages_newest_first_with_the_fields_asked_for(http, sim_clean):
    token, uid = await ig_token(http)
    ids = []
    for i in range(7):
        c = await http.post(
            f"/instagram/v25.0/{uid}/media",
            data={"image_url": sim_clean.media_url(), "caption": f"c{i}", "access_token": token},
        )
        done = await http.post(
            f"/instagram/v25.0/{uid}/media_publish",
            data={"creation_id": c.json()["id"], "access_token": token},
        )
        ids.append(done.json()["id"])
    url = f"{sim_clean.base_url}/instagram/v25.0/{uid}/media"
    bare = (await http.get(url, params={"access_token": token})).json()
    assert bare["data"][0] == {"id": ids[-1]}  # only the id unless fields are named
    listed = await all_pages(
        http, url, {"fields": "id,caption,timestamp", "limit": "3", "access_token": token}
    )
    assert [x["id"] for x in listed] == ids[::-1]
    assert [x["caption"] for x in listed] == [f"c{i}" for i in reversed(range(7))]
    assert listed[0]["timestamp"].endswith("+0000")
    await sim_clean.advance_clock(3600)
    later = await http.post(
        f"/instagram/v25.0/{uid}/media",
        data={"image_url": sim_clean.media_url(), "caption": "later", "access_token": token},
    )
    newest = await http.post(
        f"/instagram/v25.0/{uid}/media_publish",
        data={"creation_id": later.json()["id"], "access_token": token},
    )
    since = (await http.get(url, params={"access_token": token, "fields": "timestamp"})).json()
    cut = since["data"][0]["timestamp"]
    recent = await http.get(url, params={"since": cut, "access_token": token})
    assert [x["id"] for x in recent.json()["data"]] == [newest.json()["id"]]
    bad = await http.get(url, params={"after": "nonsense", "access_token": token})
    assert bad.status_code == 400


async def test_page_posts_page_by_cursor(http, sim_clean):
    token, page = await fb_page(http)
    ids = []
    for i in range(5):
        r = await http.post(
            f"/facebook/v25.0/{page}/feed", data={"message": f"m{i}", "access_token": token}
        )
        ids.append(r.json()["id"])
    url = f"{sim_clean.base_url}/facebook/v25.0/{page}/published_posts"
    listed = await all_pages(http, url, {"limit": "2", "access_token": token})
    assert [x["id"] for x in listed] == ids[::-1]
    assert {"id", "message", "created_time"} == set(listed[0])
