"""The X adapter: OAuth 2.0 with PKCE, posts with media, reconciliation, metrics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
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
from herald_platforms.common import body_of, call, expires_in, safe
from herald_platforms.errors import (
    AuthFailed,
    Gone,
    OutcomeUnknown,
    Rejected,
    Transient,
    Unverifiable,
)
from herald_platforms.media import MediaGuard
from herald_platforms.oauth import basic, grant_uri, token_request
from herald_platforms.tokens import TokenSession
from herald_platforms.x.errors import classify

SCOPES = "tweet.read tweet.write users.read offline.access media.write"
LOOKUP_BATCH = 100
TIMELINE_PAGE = 100
CHUNK = 1024 * 1024


def check_media_mix(content_types: list[str]) -> None:
    """X's media rule: up to 4 photos, or 1 video, or 1 animated GIF, kinds not mixed."""
    kinds = [
        "video" if t.startswith("video/") else "GIF" if t == "image/gif" else "photo"
        for t in content_types
    ]
    if len(kinds) > 4 or (len(kinds) > 1 and any(k != "photo" for k in kinds)):
        raise Rejected(
            "X takes up to 4 photos, or 1 video, or 1 GIF per post, not mixed; this post has "
            + ", ".join(
                f"{kinds.count(k)} {k}{'s' if kinds.count(k) > 1 else ''}"
                for k in dict.fromkeys(kinds)
            )
        )


class XAdapter:
    platform = Platform.TWITTER
    # The longest X's media processing is waited for within one attempt.
    media_processing_limit_seconds = 60.0

    def __init__(self, settings: PlatformSettings, guard: MediaGuard | None = None) -> None:
        self.settings = settings
        self.guard = guard or MediaGuard.from_settings(settings)

    def _url(self, path: str) -> str:
        return self.settings.x_api_base + path

    @staticmethod
    def _auth(creds: Credentials) -> dict[str, str]:
        return {"authorization": f"Bearer {creds.access_token}"}

    # -- OAuth ---------------------------------------------------------------------------

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None) -> str:
        return grant_uri(
            self.settings.x_web_base + "/i/oauth2/authorize",
            client_id=self.settings.x_client_id,
            redirect_uri=redirect_uri,
            scope=SCOPES,
            state=state,
            code_challenge=code_challenge,
        )

    def _basic(self) -> str:
        return basic(self.settings.x_client_id, self.settings.x_client_secret)

    async def exchange_code(
        self, client: httpx.AsyncClient, code: str, redirect_uri: str, code_verifier: str | None
    ) -> TokenGrant:
        data = await token_request(
            client,
            self._url("/2/oauth2/token"),
            "authorization_code",
            auth_header=self._basic(),
            code=code,
            redirect_uri=redirect_uri,
            code_verifier=code_verifier,
            client_id=self.settings.x_client_id,
        )
        creds = _credentials(data)
        r = await call(lambda: client.get(self._url("/2/users/me"), headers=self._auth(creds)))
        if r.status_code != 200:
            raise classify(r)
        me = body_of(r)["data"]
        return TokenGrant(creds, str(me["id"]), f"@{me.get('username', me['id'])}")

    async def refresh(self, client: httpx.AsyncClient, credentials: Credentials) -> Credentials:
        if not credentials.refresh_token:
            raise AuthFailed("X access expired and there is no refresh token; reconnect")
        data = await token_request(
            client,
            self._url("/2/oauth2/token"),
            "refresh_token",
            auth_header=self._basic(),
            refresh_token=credentials.refresh_token,
            client_id=self.settings.x_client_id,
        )
        return _credentials(data, keep=credentials)

    # -- publishing ----------------------------------------------------------------------

    async def publish(
        self, client: httpx.AsyncClient, account: AccountRef, post: PostPayload
    ) -> PublishResult:
        files = [await self.guard.fetch(url) for url in post.media_urls]
        check_media_mix([ctype for _, ctype in files])
        session = TokenSession(self, client, account)
        await session.fresh()
        media_ids = [
            await session.run(partial(self._upload, client, session, data, ctype))
            for data, ctype in files
        ]
        body: dict[str, Any] = {"text": post.text}
        if media_ids:
            body["media"] = {"media_ids": media_ids}

        async def create() -> str:
            r = await call(
                lambda: client.post(
                    self._url("/2/tweets"), json=body, headers=self._auth(session.creds)
                ),
                creates=True,
            )
            if r.status_code != 201:
                raise classify(r, creates=True)
            post_id = (body_of(r).get("data") or {}).get("id")
            if not post_id:
                raise OutcomeUnknown("X accepted the post but returned no id")
            return str(post_id)

        return PublishResult(await session.run(create))

    async def _upload(
        self, client: httpx.AsyncClient, session: TokenSession, data: bytes, ctype: str
    ) -> str:
        creds = session.creds
        if not ctype.startswith("video/") and len(data) <= 5 * 1024 * 1024:
            files = {"media": ("media", data, ctype)}
            r = await call(
                lambda: client.post(
                    self._url("/2/media/upload"),
                    files=files,
                    data={"media_category": "tweet_gif" if ctype == "image/gif" else "tweet_image"},
                    headers=self._auth(creds),
                )
            )
            if r.status_code >= 300:
                raise classify(r)
            return str(body_of(r)["data"]["id"])
        category = "tweet_video" if ctype.startswith("video/") else "tweet_image"
        r = await call(
            lambda: client.post(
                self._url("/2/media/upload/initialize"),
                json={"media_type": ctype, "total_bytes": len(data), "media_category": category},
                headers=self._auth(creds),
            )
        )
        if r.status_code >= 300:
            raise classify(r)
        media_id = str(body_of(r)["data"]["id"])
        for index, start in enumerate(range(0, len(data), CHUNK)):
            part = data[start : start + CHUNK]
            r = await call(
                partial(
                    client.post,
                    self._url(f"/2/media/upload/{media_id}/append"),
                    files={"media": ("chunk", part, "application/octet-stream")},
                    data={"segment_index": str(index)},
                    headers=self._auth(creds),
                )
            )
            if r.status_code >= 300:
                raise classify(r)
        r = await call(
            lambda: client.post(
                self._url(f"/2/media/upload/{media_id}/finalize"), headers=self._auth(creds)
            )
        )
        if r.status_code >= 300:
            raise classify(r)
        info = body_of(r)["data"].get("processing_info")
        waited = 0.0
        while info and info.get("state") in ("pending", "in_progress"):
            if waited >= self.media_processing_limit_seconds:
                raise Transient("X is still processing the media; trying again later")
            pause = min(float(info.get("check_after_secs", 1)), 5.0)
            await asyncio.sleep(pause)
            waited += pause
            r = await call(
                lambda: client.get(
                    self._url("/2/media/upload"),
                    params={"command": "STATUS", "media_id": media_id},
                    headers=self._auth(creds),
                )
            )
            if r.status_code >= 300:
                raise classify(r)
            info = body_of(r)["data"].get("processing_info")
        if info and info.get("state") == "failed":
            raise Rejected("X could not process the media")
        return media_id

    async def find_published(
        self,
        client: httpx.AsyncClient,
        account: AccountRef,
        post: PostPayload,
        lookup: Lookup = NO_BOUNDS,
    ) -> Found | None:
        """The user's posts created since ``lookup.since`` (``start_time``), 100 a page,
        every page, matched on the text as X shows it (see :mod:`herald_platforms.matching`)."""
        if not matching.checkable(post.text, matching.x_matches):
            raise Unverifiable(
                "X lists posts by their text, and this one has none to find it by besides "
                "links and media"
            )
        session = TokenSession(self, client, account)
        await session.fresh()
        params: dict[str, str | int] = {
            "max_results": TIMELINE_PAGE,
            "tweet.fields": "created_at,note_tweet",
        }
        if lookup.since is not None:
            params["start_time"] = _rfc3339(lookup.since)

        async def page(token: str | None) -> dict[str, Any]:
            query = dict(params) if token is None else {**params, "pagination_token": token}
            r = await call(
                lambda: client.get(
                    self._url(f"/2/users/{account.external_account_id}/tweets"),
                    params=query,
                    headers=self._auth(session.creds),
                )
            )
            if r.status_code != 200:
                raise classify(r)
            data: dict[str, Any] = body_of(r)
            return data

        listed: list[matching.Listed] = []
        token: str | None = None
        # X serves a user's newest 3,200 posts: at most 32 pages of 100.
        for _ in range(32):
            body = await session.run(partial(page, token))
            items = [_listed(item) for item in body.get("data") or []]
            listed.extend(items)
            token = (body.get("meta") or {}).get("next_token")
            if not token or matching.older_than(items, lookup.since):
                break
        return matching.find(
            post.text, listed, matching.x_matches, since=lookup.since, exclude=lookup.exclude
        )

    async def fetch_metrics(
        self, client: httpx.AsyncClient, account: AccountRef, external_ids: list[str]
    ) -> list[MetricsItem]:
        """Lookups of up to 100 ids (``GET /2/tweets?ids=``); ids X reports in ``errors``
        come back as :class:`MetricsMissing` (deleted posts as :class:`Gone`)."""
        session = TokenSession(self, client, account)
        await session.fresh()
        out: list[MetricsItem] = []
        for start in range(0, len(external_ids), LOOKUP_BATCH):
            ids = external_ids[start : start + LOOKUP_BATCH]

            async def lookup(ids: list[str] = ids) -> list[MetricsItem]:
                r = await call(
                    lambda: client.get(
                        self._url("/2/tweets"),
                        params={"ids": ",".join(ids), "tweet.fields": "public_metrics"},
                        headers=self._auth(session.creds),
                    )
                )
                if r.status_code != 200:
                    raise classify(r)
                return _lookup_items(ids, body_of(r))

            out.extend(await session.run(lookup))
        return out


def _lookup_items(ids: list[str], body: Any) -> list[MetricsItem]:
    found: dict[str, MetricsItem] = {}
    for item in body.get("data") or []:
        m = item.get("public_metrics") or {}
        found[str(item["id"])] = Metrics(
            str(item["id"]),
            likes=int(m.get("like_count", 0)),
            shares=int(m.get("repost_count", m.get("retweet_count", 0)))
            + int(m.get("quote_count", 0)),
            comments=int(m.get("reply_count", 0)),
            impressions=int(m.get("impression_count", 0)),
        )
    for err in body.get("errors") or []:
        ident = str(err.get("resource_id") or err.get("value") or "")
        if not ident or ident in found:
            continue
        kind = str(err.get("type", ""))
        detail = safe(str(err.get("detail") or err.get("title") or "X reported an error"))
        if kind.endswith("/resource-not-found"):
            found[ident] = MetricsMissing(ident, Gone(f"X no longer has this post: {detail}"))
        elif kind.endswith(("/not-authorized-for-resource", "/resource-unauthorized")):
            found[ident] = MetricsMissing(ident, Rejected(f"X refused the read: {detail}"))
        else:
            found[ident] = MetricsMissing(ident, Transient(f"X could not read the post: {detail}"))
    return [
        found.get(i) or MetricsMissing(i, Transient("X's answer left this post out")) for i in ids
    ]


def _listed(item: dict[str, Any]) -> matching.Listed:
    created = item.get("created_at")
    note = item.get("note_tweet") or {}
    return matching.Listed(
        id=str(item["id"]),
        created_at=datetime.fromisoformat(created.replace("Z", "+00:00")) if created else None,
        text=str(item.get("text") or ""),
        full_text=note.get("text"),
    )


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _credentials(data: dict[str, Any], keep: Credentials | None = None) -> Credentials:
    return Credentials(
        access_token=str(data["access_token"]),
        refresh_token=data.get("refresh_token") or (keep.refresh_token if keep else None),
        expires_at=expires_in(data.get("expires_in")),
        extra=dict(keep.extra) if keep else {},
    )
