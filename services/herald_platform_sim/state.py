"""The simulator's memory: accounts, tokens, posts, containers, limits, faults, clock."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import random
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

PLATFORMS = ("TWITTER", "INSTAGRAM", "LINKEDIN", "FACEBOOK")


def stable_int(*parts: object, digits: int = 17) -> int:
    h = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()
    return int(h, 16) % (10**digits)


@dataclass
class Account:
    platform: str
    login: str
    user_id: str  # the platform's id of the user / IG user / LinkedIn sub
    name: str
    page_id: str = ""  # Facebook: the Page the user manages


@dataclass
class Token:
    value: str
    account: Account
    kind: str  # "access", "refresh", "page", "user_short", "user_long", "ig_short"
    expires_at: float | None
    revoked: bool = False
    # What the user granted at authorize time; refreshed and derived tokens keep it.
    scopes: frozenset[str] = frozenset()

    def has(self, *scopes: str) -> bool:
        return all(s in self.scopes for s in scopes)


@dataclass
class Published:
    platform: str
    account: str  # Account.user_id (or page id)
    external_id: str
    text: str
    media: list[str]
    received_at: float
    request: dict[str, Any]


@dataclass
class Container:
    id: str
    account: str
    caption: str
    image_url: str | None
    children: list[str]
    is_child: bool
    ready_at: float
    created_at: float = 0.0
    error: bool = False
    published_id: str | None = None


@dataclass
class Faults:
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    rate_limit_rate: float = 0.0
    revoke_rate: float = 0.0
    drop_after_create_rate: float = 0.0
    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    timeout_hold_seconds: float = 30.0
    retry_after: float = 30.0
    # A create that times out on the client's side and still lands this long after it arrived.
    late_rate: float = 0.0
    late_delay_seconds: float = 5.0


@dataclass
class Scripted:
    action: str  # "publish", "metrics", "any"
    fault: dict[str, Any]


class SimState:
    def __init__(self, seed: int, container_delay: float = 0.0) -> None:
        self.seed = seed
        self.container_delay = container_delay
        self.rng = random.Random(seed)
        self.clock_offset = 0.0
        self.accounts: dict[tuple[str, str], Account] = {}
        # (platform, user id or Page id) -> the account, for answers that name the author.
        self.by_user_id: dict[tuple[str, str], Account] = {}
        self.tokens: dict[str, Token] = {}
        self.codes: dict[str, dict[str, Any]] = {}
        self.published: list[Published] = []
        self.by_external: dict[str, Published] = {}
        self.by_text: dict[tuple[str, str, str], Published] = {}
        self.by_account: dict[tuple[str, str], list[Published]] = defaultdict(list)
        self.containers: dict[str, Container] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.unpublished_photos: dict[str, str] = {}
        self.faults: dict[str, Faults] = {p: Faults() for p in PLATFORMS}
        self.scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self.requests: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.windows: dict[tuple[str, str], deque[float]] = defaultdict(deque)
        self.limits: dict[str, tuple[int, float]] = {}
        # Instagram's content_publishing_limit quota_total (documented as 50 or 100).
        self.ig_quota = 100
        self.ids = itertools.count(1)
        # Work that outlives its request (a create that lands late); referenced so it runs.
        self.background: set[asyncio.Task[Any]] = set()

    # -- time ------------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self.clock_offset

    # -- ids, accounts, tokens -------------------------------------------------------

    def new_id(self, digits: int = 19) -> str:
        """A numeric id that grows with creation order, as the platforms' snowflake ids do;
        its low bits are fixed by the seed."""
        n = next(self.ids)
        return str(10 ** (digits - 1) + n * 2**22 + stable_int(self.seed, n, digits=7) % 2**22)

    def account(self, platform: str, login: str) -> Account:
        key = (platform, login)
        if key not in self.accounts:
            uid = str(stable_int(platform, login, digits=17))
            if platform == "LINKEDIN":
                uid = "sim" + hashlib.sha256(login.encode()).hexdigest()[:10]
            made = Account(
                platform=platform,
                login=login,
                user_id=uid,
                name=f"{login} ({platform.lower()})",
                page_id=str(stable_int("page", login, digits=15)) if platform == "FACEBOOK" else "",
            )
            self.accounts[key] = made
            self.by_user_id[(platform, made.user_id)] = made
            if made.page_id:
                self.by_user_id[(platform, made.page_id)] = made
        return self.accounts[key]

    def user(self, platform: str, user_id: str) -> Account | None:
        return self.by_user_id.get((platform, user_id))

    def issue(
        self,
        account: Account,
        kind: str,
        lifetime: float | None,
        scopes: frozenset[str] = frozenset(),
    ) -> str:
        value = f"sim{kind[:2]}-" + secrets.token_urlsafe(24)
        expires = self.now() + lifetime if lifetime is not None else None
        self.tokens[value] = Token(value, account, kind, expires, scopes=scopes)
        return value

    def check(self, value: str | None, kinds: tuple[str, ...]) -> Token | None:
        tok = self.tokens.get(value or "")
        if tok is None or tok.revoked or tok.kind not in kinds:
            return None
        if tok.expires_at is not None and tok.expires_at <= self.now():
            return None
        return tok

    def revoke_account(self, platform: str, login: str | None = None) -> int:
        n = 0
        for tok in self.tokens.values():
            if tok.account.platform == platform and (login is None or tok.account.login == login):
                tok.revoked = True
                n += 1
        return n

    def expire_account(self, platform: str, login: str | None = None) -> int:
        n = 0
        for tok in self.tokens.values():
            if (
                tok.account.platform == platform
                and (login is None or tok.account.login == login)
                and tok.kind in ("access", "page", "user_long", "ig_long")
            ):
                tok.expires_at = self.now() - 1
                n += 1
        return n

    # -- posts -----------------------------------------------------------------------

    def record(
        self,
        platform: str,
        account: str,
        text: str,
        media: list[str],
        request: dict[str, Any],
        external_id: str | None = None,
    ) -> Published:
        pub = Published(
            platform, account, external_id or self.new_id(), text, media, self.now(), request
        )
        self.published.append(pub)
        self.by_external[pub.external_id] = pub
        if text:
            self.by_text[(platform, account, text)] = pub
        self.by_account[(platform, account)].append(pub)
        return pub

    def delete(self, external_id: str) -> Published | None:
        """The post taken down, as its author deleting it on the platform would: it is no
        longer read, listed or found as a duplicate. None when there is no such post."""
        pub = self.by_external.pop(external_id, None)
        if pub is None:
            return None
        self.published.remove(pub)
        if self.by_text.get((pub.platform, pub.account, pub.text)) is pub:
            del self.by_text[(pub.platform, pub.account, pub.text)]
        self.by_account[(pub.platform, pub.account)].remove(pub)
        return pub

    def duplicate_of(
        self, platform: str, account: str, text: str, window: float
    ) -> Published | None:
        if not text:
            return None
        pub = self.by_text.get((platform, account, text))
        if pub is not None and pub.received_at >= self.now() - window:
            return pub
        return None

    def newest_first(self, platform: str, account: str) -> list[Published]:
        return list(reversed(self.by_account.get((platform, account), [])))

    # -- limits ----------------------------------------------------------------------

    def take_slot(self, platform: str, account: str) -> tuple[bool, int, int, float]:
        """(allowed, limit, remaining, reset_epoch) for a sliding window."""
        limit, window = self.limits.get(platform, (10**9, 900.0))
        now = self.now()
        q = self.windows[(platform, account)]
        while q and q[0] <= now - window:
            q.popleft()
        reset = (q[0] + window) if q else now + window
        if len(q) >= limit:
            return False, limit, 0, reset
        q.append(now)
        return True, limit, limit - len(q), reset
