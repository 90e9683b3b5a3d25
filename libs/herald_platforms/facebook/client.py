"""The Facebook Pages adapter: feed and photo posts with a Page token, reconciliation, metrics."""

from __future__ import annotations

import json
from typing import Any

import httpx

from herald_common.settings import PlatformSettings
from herald_db.enums import Platform
from herald_platforms import matching
from herald_platforms.base import (
    NO_BOUNDS,
    AccountRef,
    Credentials,
    Found,
    Lookup,
    Metrics,
    MetricsItem,
    MetricsMissing,
    PostPayload,
    PublishResult,
    TokenGrant,
)
from herald_platforms.common import body_of, call
from herald_platforms.errors import AuthFailed, Rejected, Unverifiable
from herald_platforms.media import MediaGuard
from herald_platforms.meta.graph import (
    batch,
    classify,
    graph_time,
    item_error,
    list_since,
    raise_for_auth,
    since_param,
)
from herald_platforms.oauth import grant_uri, token_response

SCOPES = "pages_show_list,pages_manage_posts,pages_read_engagement,read_insights"
METRIC_FIELDS = (
    "shares,reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0)"
)
VIEWS = "post_media_view"


class FacebookAdapter:
    platform = Platform.FACEBOOK

    def __init__(self, settings: PlatformSettings, guard: MediaGuard | None = None) -> None:
        self.settings = settings
        self.guard = guard or MediaGuard.from_settings(settings)

    @property
    def base(self) -> str:
        return f"{self.settings.facebook_graph_base}/{self.settings.meta_graph_version}"

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        return grant_uri(
            f"{self.settings.facebook_web_base}/{self.settings.meta_graph_version}/dialog/oauth",
            client_id=self.settings.facebook_client_id,
            redirect_uri=redirect_uri,
            scope=SCOPES,
            state=state,
        )

    async def exchange_code(
        self, client: httpx.AsyncClient, code: str, redirect_uri: str, code_verifier: str | None
    ) -> TokenGrant:
        s = self.settings
        r = await call(
            lambda: client.get(
                self.base + "/oauth/access_token",
                params={
                    "client_id": s.facebook_client_id,
                    "client_secret": s.facebook_client_secret,
                    "redirect_uri": redirect_uri,
                    "code": code,
                },
            )
        )
        short = token_response(r)
        r = await call(
            lambda: client.get(
                self.base + "/oauth/access_token",
                params={
                    "grant_type": "fb_exchange_token",
                    "client_id": s.facebook_client_id,
                    "client_secret": s.facebook_client_secret,
                    "fb_exchange_token": short["access_token"],
                },
            )
        )
        user = token_response(r)
        r = await call(
            lambda: client.get(
                self.base + "/me/accounts",
                params={"fields": "id,name,access_token", "access_token": user["access_token"]},
            )
        )
        if r.status_code != 200:
            raise classify(r)
        pages = body_of(r).get("data") or []
        if not pages:
            raise Rejected("This Facebook user manages no Page Herald could post to")
        page = pages[0]
        # A Page token derived from a long-lived user token does not expire.
        creds = Credentials(access_token=str(page["access_token"]), extra={"page_id": page["id"]})
        return TokenGrant(creds, str(page["id"]), str(page.get("name", page["id"])))

    async def refresh(self, client: httpx.AsyncClient, credentials: Credentials) -> Credentials:
        raise AuthFailed("Facebook Page tokens cannot be refreshed; reconnect the Page")

    async def _post(
        self, client: httpx.AsyncClient, path: str, data: dict[str, str], *, creates: bool
    ) -> dict[str, Any]:
        r = await call(lambda: client.post(self.base + path, data=data), creates=creates)
        if r.status_code != 200:
            raise classify(r, creates=creates)
        out: dict[str, Any] = body_of(r)
        return out

    async def publish(
        self, client: httpx.AsyncClient, account: AccountRef, post: PostPayload
    ) -> PublishResult:
        for url in post.media_urls:
            await self.guard.check_url(url)
        page = account.external_account_id
        token = account.credentials.access_token
        if len(post.media_urls) == 1:
            body = await self._post(
                client,
                f"/{page}/photos",
                {
                    "url": post.media_urls[0],
                    "caption": post.text,
                    "published": "true",
                    "access_token": token,
                },
                creates=True,
            )
            return PublishResult(str(body.get("post_id") or body["id"]))
        data = {"message": post.text, "published": "true", "access_token": token}
        for i, url in enumerate(post.media_urls):
            photo = await self._post(
                client,
                f"/{page}/photos",
                {"url": url, "published": "false", "access_token": token},
                creates=False,
            )
            data[f"attached_media[{i}]"] = json.dumps({"media_fbid": photo["id"]})
        body = await self._post(client, f"/{page}/feed", data, creates=True)
        return PublishResult(str(body["id"]))

    async def find_published(
        self,
        client: httpx.AsyncClient,
        account: AccountRef,
        post: PostPayload,
        lookup: Lookup = NO_BOUNDS,
    ) -> Found | None:
        """The Page's published posts since ``lookup.since``, every page, by message."""
        if not matching.checkable(post.text, matching.same_text):
            raise Unverifiable("Facebook lists posts by their message, and this one has none")
        since = since_param(lookup.since)
        items = await list_since(
            client,
            f"{self.base}/{account.external_account_id}/published_posts",
            {
                "fields": "id,message,created_time",
                "access_token": account.credentials.access_token,
            },
            since,
            "created_time",
        )
        listed = [
            matching.Listed(str(i["id"]), graph_time(i.get("created_time")), i.get("message") or "")
            for i in items
        ]
        return matching.find(
            post.text, listed, matching.same_text, since=since, exclude=lookup.exclude
        )

    async def fetch_metrics(
        self, client: httpx.AsyncClient, account: AccountRef, external_ids: list[str]
    ) -> list[MetricsItem]:
        """Counters and views of each post (two operations each) through Graph batch
        requests of 50 operations."""
        version = self.settings.meta_graph_version
        ops: list[dict[str, str]] = []
        for pid in external_ids:
            ops.append({"method": "GET", "relative_url": f"{version}/{pid}?fields={METRIC_FIELDS}"})
            ops.append(
                {"method": "GET", "relative_url": f"{version}/{pid}/insights?metric={VIEWS}"}
            )
        answers = await batch(
            client, self.settings.facebook_graph_base, account.credentials.access_token, ops
        )
        out: list[MetricsItem] = []
        for i, pid in enumerate(external_ids):
            (status, body), (views_status, views_body) = answers[2 * i], answers[2 * i + 1]
            if status != 200:
                out.append(MetricsMissing(pid, item_error(status, body)))
                continue
            views = 0
            if views_status == 200:
                for d in views_body.get("data", []):
                    if d.get("name") == VIEWS:
                        views = int((d.get("values") or [{}])[0].get("value", 0))
            out.append(
                Metrics(
                    pid,
                    likes=int(body.get("reactions", {}).get("summary", {}).get("total_count", 0)),
                    shares=int(body.get("shares", {}).get("count", 0)),
                    comments=int(body.get("comments", {}).get("summary", {}).get("total_count", 0)),
                    impressions=views,
                )
            )
        raise_for_auth([m.error for m in out if isinstance(m, MetricsMissing)])
        return out
