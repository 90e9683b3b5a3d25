"""Reads and metrics refuse tokens that lack the permission each platform documents."""

from __future__ import annotations

import json

from tests.platform_sim.conftest import (
    FB_SCOPES,
    IG_SCOPES,
    LI_HEADERS,
    LI_SCOPES,
    fb_page,
    ig_token,
    li_token,
    x_auth,
)


async def test_x_reads_need_tweet_read_and_users_read(http):
    writer = await x_auth(http, "w", "tweet.write users.read media.write")
    full = await x_auth(http, "w")
    uid = (await http.get("/x/2/users/me", headers=full)).json()["data"]["id"]
    pid = (await http.post("/x/2/tweets", json={"text": "hi"}, headers=full)).json()["data"]["id"]
    for path, params in ((f"/x/2/users/{uid}/tweets", {}), ("/x/2/tweets", {"ids": pid})):
        refused = await http.get(path, params=params, headers=writer)
        assert refused.status_code == 403
        assert refused.json()["title"] == "Forbidden"
        assert (await http.get(path, params=params, headers=full)).status_code == 200
    # Creating needs tweet.write; uploading needs media.write.
    reader = await x_auth(http, "w", "tweet.read users.read")
    assert (await http.post("/x/2/tweets", json={"text": "no"}, headers=reader)).status_code == 403
    upload = await http.post(
        "/x/2/media/upload",
        files={"media": ("a", b"x", "image/jpeg")},
        data={"media_category": "tweet_image"},
        headers=reader,
    )
    assert upload.status_code == 403


async def test_instagram_insights_need_manage_insights(http, sim_clean):
    full, uid = await ig_token(http, "i")
    container = await http.post(
        f"/instagram/v25.0/{uid}/media",
        data={"image_url": sim_clean.media_url("a.jpg"), "access_token": full},
    )
    media_id = (
        await http.post(
            f"/instagram/v25.0/{uid}/media_publish",
            data={"creation_id": container.json()["id"], "access_token": full},
        )
    ).json()["id"]
    without = IG_SCOPES.replace(",instagram_business_manage_insights", "")
    partial, _ = await ig_token(http, "i", without)
    insights = f"/instagram/v25.0/{media_id}/insights"
    refused = await http.get(insights, params={"metric": "views", "access_token": partial})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == 10
    assert (
        await http.get(insights, params={"metric": "views", "access_token": full})
    ).status_code == 200
    # The same refusal inside a batch.
    batch = [{"method": "GET", "relative_url": f"v25.0/{media_id}/insights?metric=views"}]
    answer = await http.post(
        "/instagram/", data={"access_token": partial, "batch": json.dumps(batch)}
    )
    assert answer.json()[0]["code"] == 403
    # Listing the account's media needs instagram_business_basic.
    publisher, _ = await ig_token(http, "i", "instagram_business_content_publish")
    listed = await http.get(f"/instagram/v25.0/{uid}/media", params={"access_token": publisher})
    assert listed.status_code == 403


async def test_facebook_reads_need_pages_read_engagement_and_read_insights(http):
    full, page = await fb_page(http, "f")
    post_id = (
        await http.post(f"/facebook/v25.0/{page}/feed", data={"message": "m", "access_token": full})
    ).json()["id"]
    no_insights, _ = await fb_page(http, "f", FB_SCOPES.replace(",read_insights", ""))
    insights = f"/facebook/v25.0/{post_id}/insights"
    refused = await http.get(insights, params={"access_token": no_insights})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == 200
    assert (await http.get(insights, params={"access_token": full})).status_code == 200
    no_reads, _ = await fb_page(http, "f", "pages_show_list,pages_manage_posts")
    listed = f"/facebook/v25.0/{page}/published_posts"
    assert (await http.get(listed, params={"access_token": no_reads})).status_code == 403
    counters = await http.get(f"/facebook/v25.0/{post_id}", params={"access_token": no_reads})
    assert counters.status_code == 403
    assert (await http.get(listed, params={"access_token": full})).status_code == 200


async def test_linkedin_reads_need_r_member_social_and_analytics_r_member_post_analytics(http):
    full, urn = await li_token(http, "l")
    auth = {"authorization": f"Bearer {full}", **LI_HEADERS}
    body = {"author": urn, "commentary": "hello", "visibility": "PUBLIC"}
    created = await http.post("/linkedin/rest/posts", json=body, headers=auth)
    share = created.headers["x-restli-id"]
    writer, _ = await li_token(http, "l", "openid profile w_member_social")
    weak = {"authorization": f"Bearer {writer}", **LI_HEADERS}
    reads = [
        ("/linkedin/rest/posts", {"q": "author", "author": urn}),
        (f"/linkedin/rest/socialActions/{share}", {}),
    ]
    for path, params in reads:
        refused = await http.get(path, params=params, headers=weak)
        assert refused.status_code == 403
        assert refused.json()["code"] == "ACCESS_DENIED"
        assert (await http.get(path, params=params, headers=auth)).status_code == 200
    encoded = share.replace(":", "%3A")
    stats = f"q=entity&entity=(share:{encoded})&queryType=IMPRESSION&aggregation=TOTAL"
    no_stats, _ = await li_token(http, "l", LI_SCOPES.replace(" r_member_postAnalytics", ""))
    analytics = "/linkedin/rest/memberCreatorPostAnalytics?" + stats
    refused = await http.get(
        analytics, headers={"authorization": f"Bearer {no_stats}", **LI_HEADERS}
    )
    assert refused.status_code == 403
    assert (await http.get(analytics, headers=auth)).status_code == 200
