"""The LinkedIn adapter: member posts through the Posts API, image upload, statistics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from functools import partial
from typing import Any
from urllib.parse import quote

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
    Gone,
    OutcomeUnknown,
    PlatformError,
    RateLimited,
    Rejected,
    Unverifiable,
)
from herald_platforms.linkedin import little
from herald_platforms.linkedin.errors import classify
from herald_platforms.media import MediaGuard
from herald_platforms.oauth import grant_uri, token_request
from herald_platforms.tokens import TokenSession

# Posting, plus reading the member's posts (reconciliation: r_member_social) and their
# statistics (r_member_postAnalytics); both come with the Community Management API.
SCOPES = "openid profile w_member_social r_member_social r_member_postAnalytics"
POSTS_PAGE = 100
MAX_PAGES = 50


class LinkedInAdapter:
    platform = Platform.LINKEDIN

    def __init__(self, settings: PlatformSettings, guard: MediaGuard | None = None) -> None:
        self.settings = settings
        self.guard = guard or MediaGuard.from_settings(settings)

    def _url(self, path: str) -> str:
        return self.settings.linkedin_api_base + path

    def _headers(self, creds: Credentials) -> dict[str, str]:
        return {
            "authorization": f"Bearer {creds.access_token}",
            "linkedin-version": self.settings.linkedin_version,
            "x-restli-protocol-version": "2.0.0",
        }

    @staticmethod
    def author(account: AccountRef) -> str:
        return str(
            account.credentials.extra.get("author_urn")
            or f"urn:li:person:{account.external_account_id}"
        )

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        return grant_uri(
            self.settings.linkedin_web_base + "/oauth/v2/authorization",
            client_id=self.settings.linkedin_client_id,
            redirect_uri=redirect_uri,
            scope=SCOPES,
            state=state,
        )

    async def exchange_code(
        self, client: httpx.AsyncClient, code: str, redirect_uri: str, code_verifier: str | None
    ) -> TokenGrant:
        s = self.settings
        data = await token_request(
            client,
            s.linkedin_web_base + "/oauth/v2/accessToken",
            "authorization_code",
            code=code,
            redirect_uri=redirect_uri,
            client_id=s.linkedin_client_id,
            client_secret=s.linkedin_client_secret,
        )
        creds = _credentials(data)
        r = await call(
            lambda: client.get(
                self._url("/v2/userinfo"), headers={"authorization": f"Bearer {creds.access_token}"}
            )
        )
        if r.status_code != 200:
            raise classify(r)
        me = body_of(r)
        creds.extra["author_urn"] = f"urn:li:person:{me['sub']}"
        ends = (
            expires_in(data.get("refresh_token_expires_in"))
            if creds.refresh_token
            else (creds.expires_at)
        )
        return TokenGrant(creds, str(me["sub"]), str(me.get("name", me["sub"])), ends)

    async def refresh(self, client: httpx.AsyncClient, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise AuthFailed("LinkedIn access expired and cannot be refreshed; reconnect")
        s = self.settings
        data = await token_request(
            client,
            s.linkedin_web_base + "/oauth/v2/accessToken",
            "refresh_token",
            refresh_token=credentials.refresh_token,
            client_id=s.linkedin_client_id,
            client_secret=s.linkedin_client_secret,
        )
        return _credentials(data, keep=credentials)

    async def _upload(
        self, client: httpx.AsyncClient, creds: Credentials, owner: str, url: str
    ) -> str:
        data, ctype = await self.guard.fetch(url)
        r = await call(
            lambda: client.post(
                self._url("/rest/images"),
                params={"action": "initializeUpload"},
                json={"initializeUploadRequest": {"owner": owner}},
                headers=self._headers(creds),
            )
        )
        if r.status_code >= 300:
            raise classify(r)
        value = body_of(r)["value"]
        r = await call(
            lambda: client.put(
                value["uploadUrl"],
                content=data,
                headers={"authorization": f"Bearer {creds.access_token}", "content-type": ctype},
            )
        )
        if r.status_code >= 300:
            raise classify(r)
        return str(value["image"])

    async def publish(
        self, client: httpx.AsyncClient, account: AccountRef, post: PostPayload
    ) -> PublishResult:
        session = TokenSession(self, client, account)
        await session.fresh()
        author = self.author(account)

        async def go() -> str:
            images = [await self._upload(client, session.creds, author, u) for u in post.media_urls]
            body: dict[str, Any] = {
                "author": author,
                # Little text: unescaped reserved characters would cut the post short.
                "commentary": little.escape(post.text),
                "visibility": "PUBLIC",
                "distribution": {
                    "feedDistribution": "MAIN_FEED",
                    "targetEntities": [],
                    "thirdPartyDistributionChannels": [],
                },
                "lifecycleState": "PUBLISHED",
                "isReshareDisabledByAuthor": False,
            }
            if len(images) == 1:
                body["content"] = {"media": {"id": images[0]}}
            elif images:
                body["content"] = {"multiImage": {"images": [{"id": i} for i in images]}}
            r = await call(
                lambda: client.post(
                    self._url("/rest/posts"), json=body, headers=self._headers(session.creds)
                ),
                creates=True,
            )
            if r.status_code != 201:
                raise classify(r, creates=True)
            urn = r.headers.get("x-restli-id")
            if not urn:
                raise OutcomeUnknown("LinkedIn accepted the post but returned no id")
            return urn

        return PublishResult(await session.run(go))

    async def find_published(
        self,
        client: httpx.AsyncClient,
        account: AccountRef,
        post: PostPayload,
        lookup: Lookup = NO_BOUNDS,
    ) -> Found | None:
        """The member's posts (``q=author``, ``r_member_social``), 100 a page, newest first,
        back to ``lookup.since``; ``commentary`` is compared as the text it shows."""
        if not matching.checkable(post.text, matching.linkedin_matches):
            raise Unverifiable("LinkedIn lists posts by their text, and this one has none")
        session = TokenSession(self, client, account)
        await session.fresh()
        author = self.author(account)

        async def page(start: int) -> dict[str, Any]:
            r = await call(
                lambda: client.get(
                    self._url("/rest/posts"),
                    params={
                        "q": "author",
                        "author": author,
                        "start": str(start),
                        "count": str(POSTS_PAGE),
                    },
                    headers=self._headers(session.creds),
                )
            )
            if r.status_code != 200:
                raise classify(r)
            data: dict[str, Any] = body_of(r)
            return data

        listed: list[matching.Listed] = []
        start = 0
        for _ in range(MAX_PAGES):
            elements = (await session.run(partial(page, start))).get("elements") or []
            listed.extend(_listed(e) for e in elements)
            start += len(elements)
            # Listed by last change (LinkedIn's default order): a page that reaches a post
            # last changed before the window has shown everything created in it.
            if len(elements) < POSTS_PAGE or any(
                lookup.since is not None
                and _ms(e.get("lastModifiedAt", e.get("createdAt"))) < lookup.since
                for e in elements
            ):
                break
        return matching.find(
            post.text,
            listed,
            matching.linkedin_matches,
            since=lookup.since,
            exclude=lookup.exclude,
        )

    async def fetch_metrics(
        self, client: httpx.AsyncClient, account: AccountRef, external_ids: list[str]
    ) -> list[MetricsItem]:
        """Member post statistics (``r_member_postAnalytics``): LinkedIn answers one post and
        one metric per call, so each post takes one call per metric, ten calls at a time."""
        session = TokenSession(self, client, account)
        await session.fresh()
        sem = asyncio.Semaphore(10)

        async def count(urn: str, kind: str) -> int:
            async with sem:
                url = self._url("/rest/memberCreatorPostAnalytics?" + analytics_query(urn, kind))
                r = await call(partial(client.get, url, headers=self._headers(session.creds)))
            if r.status_code == 404:
                raise Gone("LinkedIn no longer has this post")
            if r.status_code != 200:
                raise classify(r)
            # Posts nobody saw yet are left out of the answer: zero.
            return sum(int(e.get("count", 0)) for e in body_of(r).get("elements") or [])

        async def one(urn: str) -> MetricsItem:
            try:
                got = await asyncio.gather(*(count(urn, kind) for kind in METRIC_QUERIES))
            except (AuthFailed, RateLimited):
                raise  # the account's token or quota: the whole batch
            except PlatformError as exc:
                return MetricsMissing(urn, exc)
            impressions, reactions, comments, reshares = got
            return Metrics(
                urn, likes=reactions, shares=reshares, comments=comments, impressions=impressions
            )

        async def all_posts() -> list[MetricsItem]:
            return list(await asyncio.gather(*(one(u) for u in external_ids)))

        return await session.run(all_posts)


# One memberCreatorPostAnalytics call per metric; in this order.
METRIC_QUERIES = ("IMPRESSION", "REACTION", "COMMENT", "RESHARE")
# The entity's union member for each post URN type.
ENTITY_KEYS = {"share": "share", "ugcPost": "ugc"}


def analytics_query(urn: str, query_type: str) -> str:
    """The query string of a single-post statistics call, encoded as Rest.li 2.0 wants it:
    the URN percent-encoded inside the entity's parentheses, the parentheses and the union
    key as they are (``entity=(share:urn%3Ali%3Ashare%3A123)``; a ``urn:li:ugcPost:``
    goes under ``ugc``)."""
    parts = urn.split(":")
    if len(parts) < 4 or parts[:2] != ["urn", "li"] or parts[2] not in ENTITY_KEYS:
        raise Rejected(f"Not a LinkedIn post URN: {urn[:100]}")
    entity = f"({ENTITY_KEYS[parts[2]]}:{quote(urn, safe='')})"
    return f"q=entity&entity={entity}&queryType={query_type}&aggregation=TOTAL"


def _ms(value: Any) -> datetime:
    return datetime.fromtimestamp(int(value or 0) / 1000, UTC)


def _listed(element: dict[str, Any]) -> matching.Listed:
    created = element.get("createdAt", element.get("publishedAt"))
    return matching.Listed(
        id=str(element["id"]),
        created_at=_ms(created) if created is not None else None,
        text=str(element.get("commentary") or ""),
    )


def _credentials(data: dict[str, Any], keep: Credentials | None = None) -> Credentials:
    return Credentials(
        access_token=str(data["access_token"]),
        refresh_token=data.get("refresh_token") or (keep.refresh_token if keep else None),
        expires_at=expires_in(data.get("expires_in"), datetime.now(UTC)),
        extra=dict(keep.extra) if keep else {},
    )
