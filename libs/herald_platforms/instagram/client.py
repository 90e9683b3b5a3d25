"""The Instagram adapter: containers, status polling, media_publish, carousels, metrics."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import partial
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
from herald_platforms.common import body_of, call, expires_in
from herald_platforms.errors import (
    AuthFailed,
    OutcomeUnknown,
    QuotaReached,
    Rejected,
    Transient,
    Unverifiable,
)
from herald_platforms.media import MediaGuard, picture
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
from herald_platforms.tokens import TokenSession

# Publishing, plus reading the account's media (reconciliation) and its insights (metrics).
SCOPES = (
    "instagram_business_basic,instagram_business_content_publish,instagram_business_manage_insights"
)
# Long-lived tokens last 60 days and can be refreshed once a day: refresh a week ahead.
REFRESH_AHEAD = timedelta(days=7)
# The cap is a rolling 24 h window whose oldest slot is not reported: look again hourly.
QUOTA_RETRY_SECONDS = 3600.0
# Media insights read for each post (views stand for impressions since Graph v22).
METRICS = "views,likes,comments,shares"

# What Instagram publishes: JPEG only, up to 8 MiB, aspect ratio 4:5 to 1.91:1.
MAX_IMAGE_BYTES = 8 * 1024 * 1024
RATIO = (4 / 5, 1.91)


def judge_image(position: int, url: str, data: bytes) -> None:
    """Refuse, before any request, an image Instagram would refuse."""
    which = f"image {position} ({url[:120]})"
    pic = picture(data)
    if pic is None or pic.format != "JPEG":
        kind = pic.format if pic is not None else "not an image"
        raise Rejected(f"Instagram accepts JPEG images only; {which} is {kind}")
    if len(data) > MAX_IMAGE_BYTES:
        raise Rejected(f"Instagram accepts images up to 8 MB; {which} has {len(data)} bytes")
    if not RATIO[0] <= pic.width / pic.height <= RATIO[1]:
        raise Rejected(
            "Instagram needs an aspect ratio between 4:5 (portrait) and 1.91:1 (landscape); "
            f"{which} is {pic.width}x{pic.height}"
        )


def _caption_of_published(sent: str, item: matching.Listed) -> bool:
    return matching.comparable(sent) == matching.comparable(item.text)


class InstagramAdapter:
    platform = Platform.INSTAGRAM
    poll_interval = 1.0
    poll_attempts = 60

    def __init__(self, settings: PlatformSettings, guard: MediaGuard | None = None) -> None:
        self.settings = settings
        self.guard = guard or MediaGuard.from_settings(settings)

    @property
    def base(self) -> str:
        return f"{self.settings.instagram_graph_base}/{self.settings.meta_graph_version}"

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        return grant_uri(
            self.settings.instagram_web_base + "/oauth/authorize",
            client_id=self.settings.instagram_client_id,
            redirect_uri=redirect_uri,
            scope=SCOPES,
            state=state,
            enable_fb_login="0",
        )

    async def exchange_code(
        self, client: httpx.AsyncClient, code: str, redirect_uri: str, code_verifier: str | None
    ) -> TokenGrant:
        s = self.settings
        r = await call(
            lambda: client.post(
                s.instagram_api_base + "/oauth/access_token",
                data={
                    "client_id": s.instagram_client_id,
                    "client_secret": s.instagram_client_secret,
                    "grant_type": "authorization_code",
                    "redirect_uri": redirect_uri,
                    "code": code,
                },
            )
        )
        short = token_response(r)
        r = await call(
            lambda: client.get(
                s.instagram_graph_base + "/access_token",
                params={
                    "grant_type": "ig_exchange_token",
                    "client_secret": s.instagram_client_secret,
                    "access_token": short["access_token"],
                },
            )
        )
        data = token_response(r)
        creds = Credentials(
            access_token=str(data["access_token"]),
            # The long-lived token refreshes itself: it is its own refresh credential.
            refresh_token=str(data["access_token"]),
            expires_at=expires_in(data.get("expires_in")),
        )
        r = await call(
            lambda: client.get(
                self.base + "/me",
                params={"fields": "user_id,username", "access_token": creds.access_token},
            )
        )
        if r.status_code != 200:
            raise classify(r)
        me = body_of(r)
        uid = str(me.get("user_id") or me.get("id") or short.get("user_id"))
        return TokenGrant(creds, uid, f"@{me.get('username', uid)}")

    async def refresh(self, client: httpx.AsyncClient, credentials: Credentials) -> Credentials:
        r = await call(
            lambda: client.get(
                self.settings.instagram_graph_base + "/refresh_access_token",
                params={"grant_type": "ig_refresh_token", "access_token": credentials.access_token},
            )
        )
        if r.status_code != 200:
            error = classify(r)
            # Throttled or down is not refused: the token may well be renewed later.
            if isinstance(error, Transient):
                raise error
            raise AuthFailed(
                f"Instagram refused to refresh the token ({error.message}); reconnect the account"
            )
        data = body_of(r)
        return Credentials(
            str(data["access_token"]),
            str(data["access_token"]),
            expires_in(data.get("expires_in")),
            dict(credentials.extra),
        )

    def _session(self, client: httpx.AsyncClient, account: AccountRef) -> TokenSession:
        return TokenSession(self, client, account, REFRESH_AHEAD)

    async def _post(
        self,
        client: httpx.AsyncClient,
        path: str,
        token: str,
        params: dict[str, str],
        *,
        creates: bool = False,
    ) -> dict[str, Any]:
        r = await call(
            lambda: client.post(self.base + path, data={**params, "access_token": token}),
            creates=creates,
        )
        if r.status_code != 200:
            raise classify(r, creates=creates)
        data: dict[str, Any] = body_of(r)
        return data

    async def _wait_ready(self, client: httpx.AsyncClient, container: str, token: str) -> None:
        for _ in range(self.poll_attempts):
            r = await call(
                lambda: client.get(
                    f"{self.base}/{container}",
                    params={"fields": "status_code,status", "access_token": token},
                )
            )
            if r.status_code != 200:
                raise classify(r)
            status = body_of(r).get("status_code")
            if status in ("FINISHED", "PUBLISHED"):
                return
            if status == "EXPIRED":
                # Containers live 24 hours; the next attempt makes a new one.
                raise Transient("The Instagram container expired before it could be published")
            if status == "ERROR":
                raise Rejected(f"Instagram could not process the media ({status})")
            await asyncio.sleep(self.poll_interval)
        raise Transient("Instagram is still processing the media")

    async def publish(
        self, client: httpx.AsyncClient, account: AccountRef, post: PostPayload
    ) -> PublishResult:
        if not post.media_urls:
            raise Rejected("Instagram needs at least one image")
        for position, url in enumerate(post.media_urls, 1):
            data, _ = await self.guard.fetch(url)
            judge_image(position, url, data)
        session = self._session(client, account)
        await session.fresh()
        owner = account.external_account_id

        async def go() -> str:
            token = session.creds.access_token
            await self._check_quota(client, owner, token)
            if len(post.media_urls) == 1:
                container = (
                    await self._post(
                        client,
                        f"/{owner}/media",
                        token,
                        {"image_url": post.media_urls[0], "caption": post.text},
                    )
                )["id"]
            else:
                children = [
                    (
                        await self._post(
                            client,
                            f"/{owner}/media",
                            token,
                            {"image_url": u, "is_carousel_item": "true"},
                        )
                    )["id"]
                    for u in post.media_urls
                ]
                for child in children:
                    await self._wait_ready(client, child, token)
                container = (
                    await self._post(
                        client,
                        f"/{owner}/media",
                        token,
                        {
                            "media_type": "CAROUSEL",
                            "children": ",".join(children),
                            "caption": post.text,
                        },
                    )
                )["id"]
            await self._wait_ready(client, container, token)
            try:
                published = await self._post(
                    client,
                    f"/{owner}/media_publish",
                    token,
                    {"creation_id": container},
                    creates=True,
                )
            except OutcomeUnknown as exc:
                exc.ref = container  # its status_code will tell whether it went out
                raise
            return str(published["id"])

        return PublishResult(await session.run(go))

    async def _check_quota(self, client: httpx.AsyncClient, owner: str, token: str) -> None:
        """Instagram's own publishing cap (documented as 50 or 100 per rolling 24 h): read it
        live rather than trust either number; a full quota waits instead of failing."""
        r = await call(
            lambda: client.get(
                f"{self.base}/{owner}/content_publishing_limit",
                params={"fields": "quota_usage,config", "access_token": token},
            )
        )
        if r.status_code != 200:
            raise classify(r)
        for entry in body_of(r).get("data") or []:
            total = int((entry.get("config") or {}).get("quota_total", 0) or 0)
            if total and int(entry.get("quota_usage", 0)) >= total:
                raise QuotaReached(
                    f"Instagram's publishing limit of {total} posts per 24 hours is reached",
                    retry_after=QUOTA_RETRY_SECONDS,
                )

    async def find_published(
        self,
        client: httpx.AsyncClient,
        account: AccountRef,
        post: PostPayload,
        lookup: Lookup = NO_BOUNDS,
    ) -> Found | None:
        """The container first, when the unknown attempt left its id (``lookup.ref``): its
        ``status_code`` says for certain whether it was published. Otherwise (or to learn
        the published media's id) the account's media since ``lookup.since``, by caption."""
        session = self._session(client, account)
        await session.fresh()
        owner = account.external_account_id
        since = since_param(lookup.since)
        published = False
        if lookup.ref is not None:
            status = await session.run(partial(self._container_status, client, session, lookup.ref))
            if status is not None and status != "PUBLISHED":
                return None  # never published (and media_publish refuses anything unready)
            published = status == "PUBLISHED"
        if not published and not matching.checkable(post.text, matching.same_text):
            raise Unverifiable("Instagram lists posts by their caption, and this one has none")

        async def media() -> list[dict[str, Any]]:
            return await list_since(
                client,
                f"{self.base}/{owner}/media",
                {"fields": "id,caption,timestamp", "access_token": session.creds.access_token},
                since,
                "timestamp",
            )

        listed = [
            matching.Listed(str(m["id"]), graph_time(m.get("timestamp")), m.get("caption") or "")
            for m in await session.run(media)
        ]
        # The container says it went out: its media is the one with the caption, even an
        # empty one.
        matcher = _caption_of_published if published else matching.same_text
        found = matching.find(post.text, listed, matcher, since=since, exclude=lookup.exclude)
        if found is None and published:
            raise Transient("Instagram published the container but does not list its media yet")
        return found

    async def _container_status(
        self, client: httpx.AsyncClient, session: TokenSession, container: str
    ) -> str | None:
        """The container's ``status_code``; None if Instagram no longer knows it."""
        r = await call(
            lambda: client.get(
                f"{self.base}/{container}",
                params={"fields": "status_code", "access_token": session.creds.access_token},
            )
        )
        if r.status_code != 200:
            error = classify(r)
            if isinstance(error, Rejected):
                return None
            raise error
        return str(body_of(r).get("status_code") or "") or None

    async def fetch_metrics(
        self, client: httpx.AsyncClient, account: AccountRef, external_ids: list[str]
    ) -> list[MetricsItem]:
        """Media insights through Graph batch requests: 50 media per call."""
        session = self._session(client, account)
        await session.fresh()
        version = self.settings.meta_graph_version
        ops = [
            {"method": "GET", "relative_url": f"{version}/{mid}/insights?metric={METRICS}"}
            for mid in external_ids
        ]

        async def go() -> list[MetricsItem]:
            answers = await batch(
                client, self.settings.instagram_graph_base, session.creds.access_token, ops
            )
            out: list[MetricsItem] = []
            for mid, (status, body) in zip(external_ids, answers, strict=True):
                if status != 200:
                    out.append(MetricsMissing(mid, item_error(status, body)))
                    continue
                values = {
                    d["name"]: int((d.get("values") or [{}])[0].get("value", 0))
                    for d in body.get("data", [])
                }
                out.append(
                    Metrics(
                        mid,
                        likes=values.get("likes", 0),
                        shares=values.get("shares", 0),
                        comments=values.get("comments", 0),
                        impressions=values.get("views", 0),
                    )
                )
            raise_for_auth([m.error for m in out if isinstance(m, MetricsMissing)])
            return out

        return await session.run(go)
