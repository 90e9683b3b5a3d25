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


@dataclass(frozen=True, slots=True)
class Verdict:
    status: ResultStatus
    next_attempt_at: datetime | None
    error_kind: str | None
    error_message: str | None


_RETRYABLE = {AttemptOutcome.TRANSIENT, AttemptOutcome.RATE_LIMITED, AttemptOutcome.UNKNOWN}


def decide(outcome: Outcome, attempts: int, delays: list[float], now: datetime) -> Verdict:
    """Succeeded, wait to retry, or fail for good.

    Transient failures (5xx, timeouts, 429, unknown outcomes) retry after ``delays[0]``,
    ``delays[1]``, ... or later when the platform asked for more; after the last delay the
    platform fails with its message. Permanent and auth failures fail at once.
    """
    if outcome.kind in (AttemptOutcome.SUCCEEDED, AttemptOutcome.RECONCILED):
        return Verdict(ResultStatus.SUCCEEDED, None, None, None)
    if outcome.kind in _RETRYABLE:
        retry_no = attempts  # the attempt that just failed was number `attempts`
        if retry_no <= len(delays):
            delay = max(delays[retry_no - 1], outcome.retry_after or 0.0)
            return Verdict(
                ResultStatus.RETRY_WAIT,
                now + timedelta(seconds=delay),
                outcome.kind.value.lower(),
                outcome.error,
            )
        return Verdict(
            ResultStatus.FAILED,
            None,
            outcome.kind.value.lower(),
            f"Gave up after {attempts} attempts: {outcome.error}",
        )
    return Verdict(ResultStatus.FAILED, None, outcome.kind.value.lower(), outcome.error)
