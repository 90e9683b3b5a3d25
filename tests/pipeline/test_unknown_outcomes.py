"""An unknown outcome stays unknown until the platform has answered a check, whatever comes
in between: failed checks, rate-limit waits, a reconnected account, a manual retry. Real
Postgres, Redis and the simulator over loopback; the publisher's clock is the test's."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from herald_db.models import AnalyticsFetch, Notification
from herald_platform_sim.testing import listed_time
from herald_platforms.base import Found
from herald_publisher.publish import prepare, reconciled_at, send
from tests.factories import Caller, connect_via_oauth
from tests.pipeline import helpers
from tests.pipeline.helpers import (
    attempts,
    post_status,
    publisher_deps,
    results,
    user_with_accounts,
)


def outcomes(tries: list[Any]) -> list[str]:
    return [a.outcome.value for a in tries]


async def settled(pipeline: Any, pid: str) -> str:
    async def done() -> bool:
        return await post_status(pipeline, pid) in ("PUBLISHED", "FAILED")

    await pipeline.until(done)
    return await post_status(pipeline, pid)


async def schedule(
    pipeline: Any, caller: Caller, platform: str, text: str, media: list[str] | None = None
) -> str:
    body = {
        "content": text,
        "platforms": [platform],
        "media_urls": media or [],
        # Far enough ahead that a loaded machine still finds it in the future.
        "scheduled_at": (pipeline.clock() + timedelta(seconds=1.0)).isoformat(),
    }
    r = await pipeline.api.post("/v1/posts", json=body, headers=caller.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def first_unknown(pipeline: Any, pid: str) -> Any:
    """Run until the first attempt has ended unknown; that attempt."""

    async def unknown() -> bool:
        tries = await attempts(pipeline, pid)
        return bool(tries) and tries[0].outcome.value == "UNKNOWN"

    await pipeline.until(unknown)
    return (await attempts(pipeline, pid))[0]


async def creates(pipeline: Any, platform: str) -> int:
    """Create requests the simulator received for ``platform``."""
    return int((await pipeline.sim.requests()).get(platform, {}).get("publish", 0))


def slow_settle(pipeline: Any, seconds: float = 30.0, **more: Any) -> None:
    """A settle time the test passes by moving the publisher's clock."""
    pipeline.publisher_settings = pipeline.publisher_settings.model_copy(
        update={"unknown_settle_seconds": seconds, **more}
    )


async def _shown(pipeline: Any, caller: Any, pid: str) -> dict[str, Any]:
    """The post's TWITTER result as the API shows it to its owner."""
    r = await pipeline.api.get(f"/v1/posts/{pid}", headers=caller.headers)
    assert r.status_code == 200, r.text
    return {x["platform"]: x for x in r.json()["results"]}["TWITTER"]


async def test_failed_checks_keep_it_unknown_and_a_later_check_finds_the_post(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    await pipeline.sim.script("TWITTER", [{"fault": "drop_after_create"}])
    # More failed checks than there are attempts: a check that does not answer spends none.
    await pipeline.sim.script(
        "TWITTER",
        [{"fault": "rate_limit", "retry_after": 1}] + [{"fault": "error", "status": 503}] * 5,
        action="read",
    )
    pid = await schedule(pipeline, caller, "TWITTER", f"Checked, not resent {uuid.uuid4()}")
    first = await first_unknown(pipeline, pid)

    async def two_checks_failed() -> bool:
        return outcomes(await attempts(pipeline, pid))[:3] == [
            "UNKNOWN",
            "RATE_LIMITED",
            "TRANSIENT",
        ]

    await pipeline.until(two_checks_failed)
    row = (await results(pipeline, pid))["TWITTER"]
    assert row.status.value in ("RETRY_WAIT", "SENDING")
    assert row.unknown_since == first.started_at
    if row.status.value == "RETRY_WAIT":
        assert row.error_kind == "unknown"
        assert "the check did not answer" in row.error_message
        assert row.attempts == 1
    assert await creates(pipeline, "TWITTER") == 1
    shown = await _shown(pipeline, caller, pid)
    assert shown["status"] == "RETRY_WAIT"
    assert datetime.fromisoformat(shown["unknown_since"]) == first.started_at

    assert await settled(pipeline, pid) == "PUBLISHED"
    assert (await _shown(pipeline, caller, pid))["unknown_since"] is None
    tries = await attempts(pipeline, pid)
    assert outcomes(tries) == ["UNKNOWN", "RATE_LIMITED"] + ["TRANSIENT"] * 5 + ["RECONCILED"]
    assert tries[1].started_at >= first.started_at + timedelta(seconds=0.5)  # the settle time
    (live,) = await pipeline.sim.published("TWITTER")
    row = (await results(pipeline, pid))["TWITTER"]
    assert row.status.value == "SUCCEEDED"
    assert row.external_post_id == live["external_id"]
    assert row.unknown_since is None
    assert await creates(pipeline, "TWITTER") == 1


async def test_a_rate_limit_wait_after_an_unknown_outcome_still_checks_first(pipeline):
    pipeline.publisher_settings = pipeline.publisher_settings.model_copy(
        update={"rate_limit_twitter": "1/900"}
    )
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    await pipeline.sim.script("TWITTER", [{"fault": "drop_after_create"}])
    pid = await schedule(pipeline, caller, "TWITTER", f"Held by the limit {uuid.uuid4()}")
    first = await first_unknown(pipeline, pid)

    async def waiting_for_a_slot() -> bool:
        return (await results(pipeline, pid))["TWITTER"].error_kind == "rate_limit_wait"

    await pipeline.until(waiting_for_a_slot)
    row = (await results(pipeline, pid))["TWITTER"]
    assert row.status.value == "RETRY_WAIT"
    assert row.attempts == 1  # nothing was tried while waiting
    assert row.unknown_since == first.started_at

    pipeline.clock.advance(901)
    assert await settled(pipeline, pid) == "PUBLISHED"
    assert outcomes(await attempts(pipeline, pid)) == ["UNKNOWN", "RECONCILED"]
    assert await creates(pipeline, "TWITTER") == 1
    assert len(await pipeline.sim.published("TWITTER")) == 1


async def test_reconnecting_and_retrying_after_an_unknown_outcome_checks_first(pipeline):
    slow_settle(pipeline)
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    login = next(
        a["display_name"][1:]
        for a in (await pipeline.api.get("/v1/accounts", headers=caller.headers)).json()
    )
    await pipeline.sim.script("TWITTER", [{"fault": "drop_after_create"}])
    pid = await schedule(pipeline, caller, "TWITTER", f"Across a reconnect {uuid.uuid4()}")
    first = await first_unknown(pipeline, pid)
    # Access is revoked before the check: it fails for want of a token.
    await pipeline.sim.revoke("TWITTER", login)
    pipeline.clock.advance(30)
    assert await settled(pipeline, pid) == "FAILED"
    row = (await results(pipeline, pid))["TWITTER"]
    assert row.error_kind == "auth"
    assert row.unknown_since == first.started_at
    assert outcomes(await attempts(pipeline, pid)) == ["UNKNOWN", "AUTH"]

    await connect_via_oauth(pipeline.api, caller, "twitter", login=login)
    again = await pipeline.api.post(f"/v1/posts/{pid}/retry", headers=caller.headers)
    assert again.status_code == 200, again.text
    assert (await results(pipeline, pid))["TWITTER"].unknown_since == first.started_at
    assert await settled(pipeline, pid) == "PUBLISHED"
    assert outcomes(await attempts(pipeline, pid)) == ["UNKNOWN", "AUTH", "RECONCILED"]
    assert await creates(pipeline, "TWITTER") == 1
    (live,) = await pipeline.sim.published("TWITTER")
    assert (await results(pipeline, pid))["TWITTER"].external_post_id == live["external_id"]


async def test_a_manual_retry_after_checks_gave_up_checks_first(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    await pipeline.sim.script("TWITTER", [{"fault": "drop_after_create"}])
    await pipeline.sim.script("TWITTER", [{"fault": "error", "status": 503}] * 3, action="read")
    # Checks are made for a second after the unknown attempt, then the user is told.
    slow_settle(pipeline, 0.5, unknown_check_seconds=1.0)
    pid = await schedule(pipeline, caller, "TWITTER", f"Told, then retried {uuid.uuid4()}")
    first = await first_unknown(pipeline, pid)
    assert await settled(pipeline, pid) == "FAILED"
    row = (await results(pipeline, pid))["TWITTER"]
    tries = outcomes(await attempts(pipeline, pid))
    assert tries[0] == "UNKNOWN"
    assert set(tries[1:]) == {"TRANSIENT"}
    assert row.attempts == 1
    assert row.unknown_since == first.started_at
    assert "X may have published this post, and Herald could not check" in row.error_message
    async with pipeline.sessionmaker() as s:
        (note,) = (
            await s.execute(select(Notification).where(Notification.user_id == caller.id))
        ).scalars()
    assert note.kind == "post.failed"
    assert "may have published this post" in note.body
    assert await creates(pipeline, "TWITTER") == 1

    # Retried at once, within the settle time of a fresh look: still checked, not resent.
    slow_settle(pipeline, 3600, unknown_check_seconds=86400.0)
    retry = await pipeline.api.post(f"/v1/posts/{pid}/retry", headers=caller.headers)
    assert retry.status_code == 200, retry.text

    async def waits_to_check() -> bool:
        row = (await results(pipeline, pid))["TWITTER"]
        return row.status.value == "RETRY_WAIT" and row.attempts == 0

    await pipeline.until(waits_to_check)
    row = (await results(pipeline, pid))["TWITTER"]
    assert row.next_attempt_at == first.started_at + timedelta(seconds=3600)
    pipeline.clock.advance(3600)
    assert await settled(pipeline, pid) == "PUBLISHED"
    assert outcomes(await attempts(pipeline, pid))[-1] == "RECONCILED"
    assert await creates(pipeline, "TWITTER") == 1
    assert len(await pipeline.sim.published("TWITTER")) == 1


async def test_a_send_after_a_check_whose_job_dies_is_found_by_the_next_check(pipeline):
    """The check answers that the unknown attempt's container was never published, so the
    attempt sends, and its job dies before recording: the next check looks for what that
    send published, not at the first attempt's container."""
    caller = await user_with_accounts(pipeline, ["INSTAGRAM"])
    # media_publish answers a 500 without publishing: an unknown outcome with a container.
    await pipeline.sim.script("INSTAGRAM", [{"fault": "error", "status": 500}])
    pid = await helpers.schedule(pipeline, caller, seconds=0.5, platforms=["INSTAGRAM"])
    first = await first_unknown(pipeline, pid)
    row = (await results(pipeline, pid))["INSTAGRAM"]
    assert row.pending_ref is not None
    assert await pipeline.sim.published("INSTAGRAM") == []

    settings = pipeline.publisher_settings
    pipeline.clock.advance(settings.unknown_settle_seconds)
    await pipeline.scheduler().run_once()  # hands the post out again; no worker takes it
    async with publisher_deps(pipeline) as deps:
        (work,) = await prepare(deps, [uuid.UUID(pid)])
        assert work.unknown_since == first.started_at
        await send(deps, work)  # checks, finds nothing, publishes; then the job dies
    assert work.outcome is not None
    assert work.outcome.kind.value == "SUCCEEDED"
    (live,) = await pipeline.sim.published("INSTAGRAM")
    row = (await results(pipeline, pid))["INSTAGRAM"]
    assert row.status.value == "SENDING"
    assert row.unknown_since == work.started_at
    assert row.pending_ref is None

    pipeline.clock.advance(settings.lease_seconds + settings.unknown_settle_seconds + 1)
    assert await settled(pipeline, pid) == "PUBLISHED"
    assert len(await pipeline.sim.published("INSTAGRAM")) == 1
    assert outcomes(await attempts(pipeline, pid)) == ["UNKNOWN", "UNKNOWN", "RECONCILED"]
    row = (await results(pipeline, pid))["INSTAGRAM"]
    assert row.external_post_id == live["external_id"]
    assert row.unknown_since is None


async def test_a_late_landing_create_is_found_after_the_settle_time(pipeline):
    # Instagram has no duplicate refusal: a second send would be a second post.
    slow_settle(pipeline, 2.0, http_timeout_seconds=0.5)
    caller = await user_with_accounts(pipeline, ["INSTAGRAM"])
    await pipeline.sim.script("INSTAGRAM", [{"fault": "late", "delay": 1.0, "hold": 10}])
    pid = await schedule(
        pipeline, caller, "INSTAGRAM", f"Slow to land {uuid.uuid4()}", [pipeline.sim.media_url()]
    )
    first = await first_unknown(pipeline, pid)
    assert (await results(pipeline, pid))["INSTAGRAM"].pending_ref  # the container's id
    assert await settled(pipeline, pid) == "PUBLISHED"
    tries = await attempts(pipeline, pid)
    assert outcomes(tries) == ["UNKNOWN", "RECONCILED"]
    assert tries[1].started_at >= first.started_at + timedelta(seconds=2)
    (live,) = await pipeline.sim.published("INSTAGRAM")
    row = (await results(pipeline, pid))["INSTAGRAM"]
    assert row.external_post_id == live["external_id"]
    assert row.pending_ref is None


async def test_x_text_with_a_link_an_ampersand_and_an_image_is_reconciled(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    await pipeline.sim.script("TWITTER", [{"fault": "drop_after_create"}])
    text = f"Q&A <live> tonight: https://example.com/qa?x=1&y=2 {uuid.uuid4()}"
    pid = await schedule(pipeline, caller, "TWITTER", text, [pipeline.sim.media_url()])
    assert await settled(pipeline, pid) == "PUBLISHED"
    assert outcomes(await attempts(pipeline, pid)) == ["UNKNOWN", "RECONCILED"]
    (live,) = await pipeline.sim.published("TWITTER")
    assert live["text"] == text
    row = (await results(pipeline, pid))["TWITTER"]
    assert row.status.value == "SUCCEEDED"
    assert row.external_post_id == live["external_id"]


async def test_linkedin_text_with_a_hashtag_in_brackets_and_a_mention_is_reconciled(pipeline):
    caller = await user_with_accounts(pipeline, ["LINKEDIN"])
    await pipeline.sim.script("LINKEDIN", [{"fault": "drop_after_create"}])
    text = f"Launch day (#hashtag) with @ada_l {{v2}} {uuid.uuid4()}"
    pid = await schedule(pipeline, caller, "LINKEDIN", text)
    assert await settled(pipeline, pid) == "PUBLISHED"
    assert outcomes(await attempts(pipeline, pid)) == ["UNKNOWN", "RECONCILED"]
    (live,) = await pipeline.sim.published("LINKEDIN")
    assert live["text"] == text  # arrived whole
    assert (await results(pipeline, pid))["LINKEDIN"].external_post_id == live["external_id"]


async def test_an_identical_post_published_on_purpose_earlier_does_not_match(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    text = f"Every Monday: stand-up at ten {uuid.uuid4()}"
    earlier = await schedule(pipeline, caller, "TWITTER", text)
    assert await settled(pipeline, earlier) == "PUBLISHED"
    earlier_id = (await results(pipeline, earlier))["TWITTER"].external_post_id
    # A week later the same words again; that create fails with a 5xx (unknown) and
    # nothing lands.
    week = 7 * 86400
    await pipeline.sim.advance_clock(week)
    pipeline.clock.advance(week)
    await pipeline.sim.script("TWITTER", [{"fault": "error", "status": 503}])
    again = await schedule(pipeline, caller, "TWITTER", text)
    assert await settled(pipeline, again) == "PUBLISHED"
    assert outcomes(await attempts(pipeline, again)) == ["UNKNOWN", "SUCCEEDED"]
    live = await pipeline.sim.published("TWITTER")
    assert [p["text"] for p in live] == [text, text]
    row = (await results(pipeline, again))["TWITTER"]
    assert row.external_post_id == live[1]["external_id"] != earlier_id


async def test_the_same_words_moments_apart_never_take_the_other_posts_id(pipeline):
    caller = await user_with_accounts(pipeline, ["FACEBOOK"])
    text = f"Doors open {uuid.uuid4()}"
    earlier = await schedule(pipeline, caller, "FACEBOOK", text)
    assert await settled(pipeline, earlier) == "PUBLISHED"
    earlier_id = (await results(pipeline, earlier))["FACEBOOK"].external_post_id
    # Within the clock-skew margin of the first: the window holds it, its id is Herald's.
    await pipeline.sim.script("FACEBOOK", [{"fault": "error", "status": 503}])
    again = await schedule(pipeline, caller, "FACEBOOK", text)
    await settled(pipeline, again)
    row = (await results(pipeline, again))["FACEBOOK"]
    assert row.external_post_id != earlier_id
    # Facebook refuses the repeat as a duplicate; it is not taken for the earlier post.
    assert row.status.value == "FAILED"
    assert row.error_kind == "permanent"
    assert "uplicate" in row.error_message
    assert len(await pipeline.sim.published("FACEBOOK")) == 1


async def test_a_post_that_cannot_be_checked_is_left_to_the_user(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    await pipeline.sim.script("TWITTER", [{"fault": "drop_after_create"}])
    pid = await schedule(pipeline, caller, "TWITTER", "https://example.com/only-a-link")
    assert await settled(pipeline, pid) == "FAILED"
    row = (await results(pipeline, pid))["TWITTER"]
    assert row.error_kind == "unverifiable"
    assert "X may have published this post, and Herald cannot check" in row.error_message
    async with pipeline.sessionmaker() as s:
        (note,) = (
            await s.execute(select(Notification).where(Notification.user_id == caller.id))
        ).scalars()
    assert "may have published this post" in note.body
    assert await creates(pipeline, "TWITTER") == 1
    assert len(await pipeline.sim.published("TWITTER")) == 1


@pytest.mark.parametrize("platform", ["TWITTER", "INSTAGRAM", "FACEBOOK", "LINKEDIN"])
async def test_a_reconciled_post_is_published_when_the_platform_created_it(pipeline, platform):
    """Not when the check found it, the settle time (here the default 180 s) later: its
    metric fetches and its best-times slot follow the platform's time."""
    slow_settle(pipeline, 180.0)
    caller = await user_with_accounts(pipeline, [platform])
    await pipeline.sim.script(platform, [{"fault": "drop_after_create"}])
    media = [pipeline.sim.media_url()] if platform == "INSTAGRAM" else None
    pid = await schedule(pipeline, caller, platform, f"Out before the check {uuid.uuid4()}", media)
    first = await first_unknown(pipeline, pid)
    pipeline.clock.advance(181)
    assert await settled(pipeline, pid) == "PUBLISHED"
    tries = await attempts(pipeline, pid)
    assert outcomes(tries) == ["UNKNOWN", "RECONCILED"]

    (live,) = await pipeline.sim.published(platform)
    created = listed_time(platform, live["received_at"])
    row = (await results(pipeline, pid))[platform]
    assert row.external_post_id == live["external_id"]
    assert row.published_at == created
    assert first.started_at - timedelta(seconds=1) <= row.published_at
    assert row.published_at < tries[1].started_at - timedelta(seconds=150)
    async with pipeline.sessionmaker() as s:
        due = dict(
            (
                await s.execute(
                    select(AnalyticsFetch.checkpoint, AnalyticsFetch.due_at).where(
                        AnalyticsFetch.result_id == row.id
                    )
                )
            ).all()
        )
    assert due["1h"] == created + timedelta(hours=1)
    shown = await pipeline.api.get(f"/v1/posts/{pid}", headers=caller.headers)
    (result,) = shown.json()["results"]
    assert datetime.fromisoformat(result["published_at"]) == created


def test_a_found_post_without_a_platform_time_is_published_at_the_unknown_attempts_start():
    start = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
    check = start + timedelta(seconds=181)
    at = start + timedelta(seconds=2)
    assert reconciled_at(Found("1", at), start, check) == at
    assert reconciled_at(Found("1", None), start, check) == start
    # A platform clock ahead of Herald's: no later than the check that saw the post.
    assert reconciled_at(Found("1", check + timedelta(seconds=30)), start, check) == check
