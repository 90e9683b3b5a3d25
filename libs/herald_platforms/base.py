"""The adapter protocol and the values that cross it.

Adapters are stateless: each call gets the account (its credentials held by a
:class:`~herald_platforms.tokens.TokenKeeper`) and a shared ``httpx.AsyncClient``. A call
that renews the credentials does so through the keeper, which records them at once (see
:mod:`herald_platforms.tokens`); nothing about tokens comes back in a result.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import httpx

from herald_db.enums import Platform
from herald_platforms.errors import PlatformError
from herald_platforms.tokens import TokenKeeper


@dataclass(slots=True)
class Credentials:
    access_token: str
    refresh_token: str | None = None
    expires_at: datetime | None = None
    # Platform-specific extras: X OAuth1 secrets, Meta page id, LinkedIn author URN, ...
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
            "extra": self.extra,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Credentials:
        exp = data.get("expires_at")
        return cls(
            access_token=data["access_token"],
            refresh_token=data.get("refresh_token"),
            expires_at=datetime.fromisoformat(exp) if exp else None,
            extra=dict(data.get("extra") or {}),
        )


@dataclass(slots=True)
class AccountRef:
    """What an adapter needs to know about the account it acts for."""

    external_account_id: str
    tokens: TokenKeeper

    @property
    def credentials(self) -> Credentials:
        return self.tokens.current


@dataclass(slots=True)
class PostPayload:
    text: str
    media_urls: list[str] = field(default_factory=list)
    # A stable identity of (post, platform), for reconciling an unknown outcome.
    idempotency_tag: str = ""


@dataclass(frozen=True, slots=True)
class Lookup:
    """What the check of an unknown outcome goes by.

    ``since``: the earliest creation time a match may have (the unknown attempt's start less
    a margin for clock skew); posts before it are never taken, nor are the ``exclude`` ids
    (posts Herald already holds for other posts). ``ref``: an id-bearing signal the unknown
    attempt left (the Instagram container it was publishing), checked before any text.
    Without ``since`` the whole listing is searched.
    """

    since: datetime | None = None
    ref: str | None = None
    exclude: frozenset[str] = frozenset()


NO_BOUNDS = Lookup()


@dataclass(slots=True)
class PublishResult:
    external_post_id: str
    # True when the post was found already published (reconciliation), not sent now.
    reconciled: bool = False


@dataclass(frozen=True, slots=True)
class Found:
    """A post a check found on the platform: its id, and when the platform says it created
    it (None when its listing does not say)."""

    external_post_id: str
    created_at: datetime | None = None


@dataclass(slots=True)
class Metrics:
    external_post_id: str
    likes: int = 0
    shares: int = 0
    comments: int = 0
    impressions: int = 0


@dataclass(slots=True)
class MetricsMissing:
    """An item of a metrics batch that came back without figures, and why: a batch never
    drops an item silently. ``error`` is a :class:`~herald_platforms.errors.Gone` when the
    post no longer exists on the platform."""

    external_post_id: str
    error: PlatformError


MetricsItem = Metrics | MetricsMissing


@dataclass(slots=True)
class TokenGrant:
    credentials: Credentials
    external_account_id: str
    display_name: str
    # When access ends for good without the user (no refresh possible after it).
    access_ends_at: datetime | None = None


class PlatformAdapter(Protocol):
    platform: Platform

    async def publish(
        self, client: httpx.AsyncClient, account: AccountRef, post: PostPayload
    ) -> PublishResult: ...

    async def find_published(
        self,
        client: httpx.AsyncClient,
        account: AccountRef,
        post: PostPayload,
        lookup: Lookup = NO_BOUNDS,
    ) -> Found | None:
        """``post`` as the platform has it if it went out (the check of an unknown outcome):
        its id and the platform's own creation time; None if the platform definitely does
        not have it.

        Reads every page back to ``lookup.since``. A read that fails raises as any call
        does (the outcome stays unknown); :class:`~herald_platforms.errors.Unverifiable`
        when the platform offers no way to tell (no text to match and no ``ref``).
        """
        ...

    async def fetch_metrics(
        self, client: httpx.AsyncClient, account: AccountRef, external_ids: list[str]
    ) -> list[MetricsItem]:
        """One item per id, in order, in as few requests as the platform allows.

        A failure of the whole request raises; a failure of one item is returned as a
        :class:`MetricsMissing` for that item.
        """
        ...

    async def refresh(self, client: httpx.AsyncClient, credentials: Credentials) -> Credentials: ...

    def authorize_url(self, state: str, redirect_uri: str, code_challenge: str | None) -> str: ...

    async def exchange_code(
        self,
        client: httpx.AsyncClient,
        code: str,
        redirect_uri: str,
        code_verifier: str | None,
    ) -> TokenGrant: ...
