"""What one platform attempt ended in, and what follows for the result row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from herald_db.enums import AttemptOutcome, ResultStatus


@dataclass(slots=True)
class Outcome:
    kind: AttemptOutcome
    started_at: datetime
    finished_at: datetime
    external_post_id: str | None = None
    error: str | None = None
    retry_after: float | None = None
    # The result's error_kind when it is not the outcome's own name.
    error_kind: str | None = None
    # When the post went out, if not ``finished_at`` (a post a check found).
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Verdict:
    status: ResultStatus
    next_attempt_at: datetime | None
    error_kind: str | None
    error_message: str | None


_RETRYABLE = {AttemptOutcome.TRANSIENT, AttemptOutcome.RATE_LIMITED, AttemptOutcome.UNKNOWN}


def decide(
    outcome: Outcome,
    attempts: int,
    delays: list[float],
    now: datetime,
    *,
    check_at: datetime | None = None,
) -> Verdict:
    """Succeeded, wait to retry, or fail for good.

    Transient failures (5xx, timeouts, 429) retry after ``delays[0]``, ``delays[1]``, ... or
    later when the platform asked for more; after the last delay the platform fails with its
    message. An unknown outcome is always followed by a check, however many attempts came
    before (the check itself sends nothing once the attempts are spent). ``check_at``: while
    the outcome is unknown, no attempt comes before it. Permanent and auth failures fail at
    once.
    """
    kind = outcome.error_kind or outcome.kind.value.lower()
    if outcome.kind in (AttemptOutcome.SUCCEEDED, AttemptOutcome.RECONCILED):
        return Verdict(ResultStatus.SUCCEEDED, None, None, None)
    if outcome.kind in _RETRYABLE:
        retry_no = attempts  # the attempt that just failed was number `attempts`
        if retry_no <= len(delays) or outcome.kind is AttemptOutcome.UNKNOWN:
            base = delays[min(retry_no, len(delays)) - 1] if delays else 0.0
            when = now + timedelta(seconds=max(base, outcome.retry_after or 0.0))
            if check_at is not None and check_at > when:
                when = check_at
            return Verdict(ResultStatus.RETRY_WAIT, when, kind, outcome.error)
        return Verdict(
            ResultStatus.FAILED,
            None,
            kind,
            f"Gave up after {attempts} attempts: {outcome.error}",
        )
    return Verdict(ResultStatus.FAILED, None, kind, outcome.error)
