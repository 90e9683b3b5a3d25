"""Enumerations stored as checked text columns."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum as SAEnum


class Platform(StrEnum):
    TWITTER = "TWITTER"
    INSTAGRAM = "INSTAGRAM"
    LINKEDIN = "LINKEDIN"
    FACEBOOK = "FACEBOOK"

    @property
    def slug(self) -> str:
        return self.value.lower()

    @property
    def label(self) -> str:
        """The name users know the platform by."""
        return _LABELS[self.value]


_LABELS = {"TWITTER": "X", "INSTAGRAM": "Instagram", "LINKEDIN": "LinkedIn", "FACEBOOK": "Facebook"}


class PostStatus(StrEnum):
    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    PUBLISHING = "PUBLISHING"
    PUBLISHED = "PUBLISHED"
    FAILED = "FAILED"


class ResultStatus(StrEnum):
    """One platform of one post.

    PENDING: not tried yet. SENDING: an attempt is out and its outcome not yet recorded (if
    the worker dies here the outcome is unknown and must be reconciled before resending).
    RETRY_WAIT: failed for a passing reason, ``next_attempt_at`` says when to try again.
    SUCCEEDED and FAILED are final.
    """

    PENDING = "PENDING"
    SENDING = "SENDING"
    RETRY_WAIT = "RETRY_WAIT"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class AttemptOutcome(StrEnum):
    SENDING = "SENDING"
    SUCCEEDED = "SUCCEEDED"
    RECONCILED = "RECONCILED"
    TRANSIENT = "TRANSIENT"
    RATE_LIMITED = "RATE_LIMITED"
    AUTH = "AUTH"
    PERMANENT = "PERMANENT"
    UNKNOWN = "UNKNOWN"


class DeliveryStatus(StrEnum):
    """One webhook delivery: PENDING until sent or given up; DELIVERED and FAILED are final."""

    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


class NotificationKind(StrEnum):
    POST_FAILED = "post.failed"
    POST_PUBLISHED = "post.published"
    ACCOUNT_NEEDS_RECONNECT = "account.needs_reconnect"
    ACCOUNT_EXPIRING = "account.expiring"
    ACCOUNT_USAGE_CAPPED = "account.usage_capped"


def enum_column(enum: type[StrEnum], name: str) -> SAEnum:
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class FetchStatus(StrEnum):
    """One planned metrics fetch of one (post, platform).

    PENDING: waiting for its time (or for a retry, or leased to a collector until
    ``next_at``). DONE: a snapshot was stored. GONE: the post no longer exists on the
    platform, so this and every later fetch of it stop. FAILED: given up, ``last_error``
    says why.
    """

    PENDING = "PENDING"
    DONE = "DONE"
    GONE = "GONE"
    FAILED = "FAILED"


# When metrics are fetched, after a platform published the post.
CHECKPOINTS: dict[str, int] = {"1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600, "7d": 7 * 86400}
