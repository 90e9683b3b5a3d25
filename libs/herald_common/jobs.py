"""Names and deterministic ids of the arq jobs, shared by who enqueues and who works.

A job id is derived from what the job carries, so enqueueing the same work twice is a
no-op (arq returns None for a job id it already holds).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence

PUBLISH_JOB = "publish.posts"


def publish_job_id(claims: Sequence[tuple[uuid.UUID, int]]) -> str:
    """One id per (post, claim_seq) set: a re-claim of the same post gets a new job."""
    raw = ",".join(f"{pid}:{seq}" for pid, seq in sorted(claims))
    return "publish:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


DELIVER_JOB = "webhooks.deliver"


def deliver_job_id(delivery_id: uuid.UUID, attempt: int) -> str:
    return f"deliver:{delivery_id}:{attempt}"
