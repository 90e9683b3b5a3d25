"""Errors an adapter raises. Every failure a platform call can end in is one of these.

The hierarchy::

    PlatformError                 base; ``message`` is safe to show a user (no secrets)
    ├── Transient                 5xx, timeouts, connection errors: try again later
    │   ├── RateLimited           the platform says slow down; ``retry_after`` seconds
    │   │   ├── UsageCapped       a usage cap for a whole period (X's monthly cap): no
    │   │   │                     attempt helps before ``resets_at``; tell the user
    │   │   └── QuotaReached      the account's publishing quota is full (Instagram's
    │   │                         posts per 24 h): wait, spending no attempt
    │   └── OutcomeUnknown        the request left and no certain answer came back (none,
    │                             a 5xx on a create, a write conflict, a block that can
    │                             follow a publish): the post may exist, so reconcile
    │                             before sending again; ``ref`` carries an id-bearing
    │                             signal when there is one (an Instagram container id)
    ├── Unverifiable              whether a post went out cannot be told (a media-only
    │                             post has no text to find it by): the user must look
    ├── AuthFailed                token expired and could not be refreshed, or revoked:
    │                             the user must reconnect the account
    └── Rejected                  the platform refused this content or request for good
        ├── Duplicate             the platform says this content was already posted
        └── Gone                  the post no longer exists on the platform (deleted)

``Transient`` errors raised while *refreshing* a token stay ``Transient``: a refresh endpoint
that is down does not mean the token is dead.
"""

from __future__ import annotations

from datetime import UTC, datetime


class PlatformError(Exception):
    kind = "error"

    def __init__(self, message: str, *, status_code: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code


class Transient(PlatformError):
    kind = "transient"


class RateLimited(Transient):
    kind = "rate_limited"

    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class UsageCapped(RateLimited):
    kind = "usage_capped"

    def __init__(self, message: str, *, resets_at: datetime, period: str, **kw: object):
        wait = max(0.0, (resets_at - datetime.now(UTC)).total_seconds())
        super().__init__(message, retry_after=wait, **kw)
        self.resets_at = resets_at
        self.period = period


class QuotaReached(RateLimited):
    kind = "quota_reached"


class OutcomeUnknown(Transient):
    kind = "unknown"

    def __init__(self, message: str, *, ref: str | None = None, **kw: object):
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.ref = ref


class Unverifiable(PlatformError):
    kind = "unverifiable"


class AuthFailed(PlatformError):
    kind = "auth"


class Rejected(PlatformError):
    kind = "permanent"


class Duplicate(Rejected):
    kind = "duplicate"


class Gone(Rejected):
    kind = "gone"
