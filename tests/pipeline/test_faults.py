"""The pipeline under faults: a slow send, a lost LISTEN connection, hosts whose clocks
disagree, a full Instagram quota, a second account connected while a post is in flight."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import func, select, text

from herald_publisher.publish import mark_sending, prepare
from herald_publisher.worker import build_worker
from herald_scheduler.loop import LISTENER_APPLICATION_NAME, Scheduler
from tests.dns import public_dns
from tests.factories import connect_via_oauth
from tests.pipeline.helpers import (
    attempts,
    post_status,
    publisher_deps,
    results,
    schedule,
    user_with_accounts,
)

# -- helpers ------------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def trickling_host() -> AsyncIterator[str]:
    """A media host on loopback that answers a JPEG's headers, then a byte every 0.2 s."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(
                b"HTTP/1.1 200 OK\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n"
            )
            await writer.drain()
            for _ in range(100_000):
                writer.write(b"\xff")
                await writer.drain()
                await asyncio.sleep(0.2)
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/photo.jpg"
    finally:
        server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), 2)


async def _insert_posts(
    pipeline, user_id: uuid.UUID, platform: str, n: int, media: list[str]
) -> list[str]:
    """n SCHEDULED posts due now, written straight to the table (their media is not
    checked, as the API would)."""
    tag = uuid.uuid4().hex[:8]
    async with pipeline.sessionmaker() as s:
        rows = await s.execute(
            text(
                "INSERT INTO posts (id, user_id, content, media_urls, platforms, "
                "content_variants, scheduled_at, status, timezone) "
                "SELECT gen_random_uuid(), :uid, :tag || ' #' || g, :media, :platforms, '{}', "
                "now(), 'SCHEDULED', 'UTC' FROM generate_series(1, :n) AS g RETURNING id"
            ),
            {"uid": user_id, "tag": tag, "media": media, "platforms": [platform], "n": n},
        )
        ids = [str(r.id) for r in rows]
        await s.commit()
    return ids


def _allow_host(pipeline, url: str, **extra: object) -> None:
    sim_host = urlsplit(pipeline.sim.base_url).netloc
    pipeline.publisher_settings = pipeline.publisher_settings.model_copy(
        update={"media_allowed_hosts": f"{sim_host},{urlsplit(url).netloc}", **extra}
    )


async def _database_now(pipeline) -> datetime:
    async with pipeline.sessionmaker() as s:
        return (await s.execute(select(func.now()))).scalar_one()


# -- a. a slow send -----------------------------------------------------------------------


async def test_a_slow_send_does_not_cost_its_batch(pipeline):
    caller = await user_with_accounts(pipeline, ["LINKEDIN", "INSTAGRAM"])
    async with trickling_host() as slow_url:
        # The media fetch alone would wait a minute: the send's deadline comes first.
        _allow_host(pipeline, slow_url, send_deadline_seconds=2.0, media_timeout_seconds=60.0)
        quick = await _insert_posts(pipeline, caller.id, "LINKEDIN", 5, [])
        (slow,) = await _insert_posts(pipeline, caller.id, "INSTAGRAM", 1, [slow_url])
        scheduler = pipeline.scheduler()
        await scheduler.run_once()
        assert scheduler.stats.jobs_enqueued == 1  # all six in one job
        await pipeline.work()
    # The others' outcomes are kept ...
    assert [await post_status(pipeline, pid) for pid in quick] == ["PUBLISHED"] * 5
    assert len(await pipeline.sim.published("LINKEDIN")) == 5
    # ... and the slow one is an attempt whose outcome is unknown, counted and explained.
    (attempt,) = await attempts(pipeline, slow)
    assert attempt.outcome.value == "UNKNOWN"
    assert "2 s send deadline" in (attempt.error_message or "")
    row = (await results(pipeline, slow))["INSTAGRAM"]
    assert row.attempts == 1
    assert row.status.value not in ("SUCCEEDED", "FAILED", "SENDING")
    assert await pipeline.sim.published("INSTAGRAM") == []


async def test_media_that_never_arrives_fails_with_the_reason(pipeline):
    caller = await user_with_accounts(pipeline, ["INSTAGRAM"])
    async with trickling_host() as slow_url:
        _allow_host(pipeline, slow_url, media_timeout_seconds=0.5)
        (pid,) = await _insert_posts(pipeline, caller.id, "INSTAGRAM", 1, [slow_url])

        async def failed() -> bool:
            return await post_status(pipeline, pid) == "FAILED"

        await pipeline.until(failed, seconds=60)
    row = (await results(pipeline, pid))["INSTAGRAM"]
    assert row.attempts == 4
    assert row.error_message == (
        "Gave up after 4 attempts: Fetching the media took longer than 0.5 s"
    )


async def test_attempts_of_jobs_that_died_count_and_the_last_fails_with_a_reason(pipeline):
    caller = await user_with_accounts(pipeline, ["LINKEDIN"])
    (pid,) = await _insert_posts(pipeline, caller.id, "LINKEDIN", 1, [])
    await pipeline.scheduler().run_once()
    settings = pipeline.publisher_settings

    def job_died() -> None:
        # Past the lease (the job is taken back) and the settle time (it may be checked).
        pipeline.clock.advance(settings.lease_seconds + 1)
        pipeline.clock.advance(settings.unknown_settle_seconds)

    async with publisher_deps(pipeline) as deps:
        # Four jobs die while their send is out (before any outcome is recorded): the first
        # sends at once; each later one has checked, found nothing and begun to send.
        for n in range(1, 5):
            (work,) = await prepare(deps, [uuid.UUID(pid)])
            assert work.attempt_no == n
            if n > 1:
                assert await mark_sending(deps, work)
            assert (await results(pipeline, pid))["LINKEDIN"].attempts == n
            job_died()
        # Jobs that die while only checking spend no attempt.
        for _ in range(3):
            (work,) = await prepare(deps, [uuid.UUID(pid)])
            assert work.attempt_no == 5
            assert work.unknown_since is not None
            job_died()
    # The check that finally runs finds no such post, and all four sends are spent.
    assert await _settled(pipeline, pid) == "FAILED"
    row = (await results(pipeline, pid))["LINKEDIN"]
    assert row.error_kind == "transient"
    assert row.error_message.startswith("Gave up after 5 attempts")
    assert "LinkedIn has no such post" in row.error_message
    assert row.unknown_since is None
    tries = [a.outcome.value for a in await attempts(pipeline, pid)]
    assert tries == ["UNKNOWN"] * 7 + ["TRANSIENT"]
    assert await pipeline.sim.published("LINKEDIN") == []


async def test_checks_that_die_with_their_jobs_give_up_after_the_check_window(pipeline):
    caller = await user_with_accounts(pipeline, ["LINKEDIN"])
    (pid,) = await _insert_posts(pipeline, caller.id, "LINKEDIN", 1, [])
    await pipeline.scheduler().run_once()
    settings = pipeline.publisher_settings
    async with publisher_deps(pipeline) as deps:
        await prepare(deps, [uuid.UUID(pid)])  # the send's job dies
        pipeline.clock.advance(settings.lease_seconds + settings.unknown_settle_seconds + 1)
        await prepare(deps, [uuid.UUID(pid)])  # and so does the check's
        pipeline.clock.advance(settings.unknown_check_seconds)
        assert await prepare(deps, [uuid.UUID(pid)]) == []
    row = (await results(pipeline, pid))["LINKEDIN"]
    assert row.status.value == "FAILED"
    assert row.error_kind == "unknown"
    assert "LinkedIn may have published this post" in row.error_message
    # Still unknown: a retry by the user checks before it sends.
    assert row.unknown_since is not None
    assert await pipeline.sim.published("LINKEDIN") == []
    await pipeline.step()
    assert await post_status(pipeline, pid) == "FAILED"


async def _settled(pipeline, pid: str) -> str:
    async def done() -> bool:
        return await post_status(pipeline, pid) in ("PUBLISHED", "FAILED")

    await pipeline.until(done)
    return await post_status(pipeline, pid)


# -- b. the LISTEN connection lost --------------------------------------------------------


async def _listeners(pipeline) -> list[int]:
    async with pipeline.sessionmaker() as s:
        rows = await s.execute(
            text(
                "SELECT pid FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = :name"
            ),
            {"name": LISTENER_APPLICATION_NAME},
        )
        return [int(r.pid) for r in rows]


async def test_scheduler_listens_again_after_its_connection_is_terminated(pipeline):
    caller = await user_with_accounts(pipeline, ["LINKEDIN"])
    # Left to its timed wakes, this scheduler would look again in an hour.
    pipeline.scheduler_settings = pipeline.scheduler_settings.model_copy(
        update={"max_sleep_seconds": 3600.0}
    )
    scheduler = pipeline.scheduler()
    stop = asyncio.Event()
    loop = asyncio.create_task(scheduler.run(stop))
    try:

        async def listening() -> bool:
            return scheduler.stats.passes >= 1 and len(await _listeners(pipeline)) == 1

        await pipeline.until(listening, step=False)
        (first,) = await _listeners(pipeline)
        # What a Postgres restart does to the listening connection, on this database only.
        async with pipeline.sessionmaker() as s:
            await s.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})

        async def listening_again() -> bool:
            now = await _listeners(pipeline)
            return scheduler.listening and len(now) == 1 and now != [first]

        await pipeline.until(listening_again, seconds=30, step=False)
        assert scheduler.stats.listens == 2
        pid = await schedule(pipeline, caller, seconds=1, platforms=["LINKEDIN"])

        async def claimed() -> bool:
            return await post_status(pipeline, pid) != "SCHEDULED"

        await pipeline.until(claimed, seconds=30, step=False)
    finally:
        stop.set()
        await loop


# -- c. the database's clock --------------------------------------------------------------


async def test_due_times_and_leases_follow_the_database_clock(pipeline):
    caller = await user_with_accounts(pipeline, ["LINKEDIN"])
    later = await schedule(pipeline, caller, seconds=1800, platforms=["LINKEDIN"])
    now_post = await schedule(pipeline, caller, seconds=0.5, platforms=["LINKEDIN"])

    # A scheduler whose host clock runs an hour ahead claims only what is due on the
    # database's clock.
    def ahead() -> datetime:
        return datetime.now(UTC) + timedelta(hours=1)

    scheduler = Scheduler(
        pipeline.scheduler_settings, pipeline.sessionmaker, pipeline.arq, clock=ahead
    )

    async def claimed() -> bool:
        await scheduler.run_once()
        return await post_status(pipeline, now_post) != "SCHEDULED"

    await pipeline.until(claimed, step=False)
    assert await post_status(pipeline, later) == "SCHEDULED"

    # A publisher whose host clock runs an hour behind writes its retry time on the
    # database's clock: the retry comes due after the delay, not an hour late.
    await pipeline.sim.script("LINKEDIN", [{"fault": "error", "status": 503}])

    def behind() -> datetime:
        return datetime.now(UTC) - timedelta(hours=1)

    worker = build_worker(
        pipeline.publisher_settings, clock=behind, burst=True, resolver=public_dns
    )
    try:
        await worker.main()
    finally:
        await worker.close()
    row = (await results(pipeline, now_post))["LINKEDIN"]
    assert row.status.value == "RETRY_WAIT"
    db_now = await _database_now(pipeline)
    assert db_now - timedelta(minutes=5) < row.next_attempt_at <= db_now + timedelta(seconds=1)

    async def published() -> bool:
        await scheduler.run_once()
        await pipeline.work()
        return await post_status(pipeline, now_post) == "PUBLISHED"

    await pipeline.until(published, step=False)


# -- d. a full Instagram quota ------------------------------------------------------------


async def test_a_full_instagram_quota_waits_without_spending_an_attempt(pipeline):
    await pipeline.sim.set_rate_limit("INSTAGRAM", 1, 86400)
    caller = await user_with_accounts(pipeline, ["INSTAGRAM"])
    first = await schedule(pipeline, caller, seconds=0.5, platforms=["INSTAGRAM"])

    async def first_published() -> bool:
        return await post_status(pipeline, first) == "PUBLISHED"

    await pipeline.until(first_published)
    second = await schedule(pipeline, caller, seconds=0.5, platforms=["INSTAGRAM"])

    async def waiting() -> bool:
        row = (await results(pipeline, second)).get("INSTAGRAM")
        return row is not None and row.error_kind == "quota_wait"

    await pipeline.until(waiting)
    # Many passes later it still waits: nothing spent, nothing failed.
    for _ in range(5):
        await pipeline.step()
    row = (await results(pipeline, second))["INSTAGRAM"]
    assert row.status.value == "RETRY_WAIT"
    assert row.attempts == 0
    assert "publishing limit" in (row.error_message or "")
    assert row.next_attempt_at - await _database_now(pipeline) > timedelta(minutes=50)
    assert await post_status(pipeline, second) == "PUBLISHING"
    assert len(await pipeline.sim.published("INSTAGRAM")) == 1


# -- e. a post stays with its account -----------------------------------------------------


async def test_a_post_stays_with_the_account_it_was_claimed_with(pipeline):
    caller = await user_with_accounts(pipeline, [])
    first = await connect_via_oauth(
        pipeline.api, caller, "twitter", login=f"a{uuid.uuid4().hex[:6]}"
    )
    # The create lands, the answer is lost: the outcome is unknown.
    await pipeline.sim.script("TWITTER", [{"fault": "drop_after_create"}])
    pid = await schedule(pipeline, caller, seconds=0.5, platforms=["TWITTER"])

    async def unknown() -> bool:
        await pipeline.step()
        tries = await attempts(pipeline, pid)
        return bool(tries) and tries[0].outcome.value == "UNKNOWN"

    await pipeline.until(unknown, step=False)
    # The user connects a second X account meanwhile; it becomes the one new posts use.
    second = await connect_via_oauth(
        pipeline.api, caller, "twitter", login=f"b{uuid.uuid4().hex[:6]}"
    )
    assert second["id"] != first["id"]

    async def published() -> bool:
        return await post_status(pipeline, pid) == "PUBLISHED"

    await pipeline.until(published, seconds=60)
    row = (await results(pipeline, pid))["TWITTER"]
    assert str(row.account_id) == first["id"]
    (item,) = await pipeline.sim.published("TWITTER")
    assert row.external_post_id == item["external_id"]
    # A new post goes to the account connected last.
    other = await schedule(pipeline, caller, seconds=0.5, platforms=["TWITTER"])

    async def other_published() -> bool:
        return await post_status(pipeline, other) == "PUBLISHED"

    await pipeline.until(other_published)
    assert str((await results(pipeline, other))["TWITTER"].account_id) == second["id"]


async def test_retry_lets_go_of_a_disconnected_account(pipeline):
    caller = await user_with_accounts(pipeline, [])
    first = await connect_via_oauth(
        pipeline.api, caller, "linkedin", login=f"a{uuid.uuid4().hex[:6]}"
    )
    await pipeline.sim.script("LINKEDIN", [{"fault": "error", "status": 400}])
    pid = await schedule(pipeline, caller, seconds=0.5, platforms=["LINKEDIN"])

    async def failed() -> bool:
        return await post_status(pipeline, pid) == "FAILED"

    await pipeline.until(failed)
    r = await pipeline.api.delete(f"/v1/accounts/{first['id']}", headers=caller.headers)
    assert r.status_code == 204, r.text
    second = await connect_via_oauth(
        pipeline.api, caller, "linkedin", login=f"b{uuid.uuid4().hex[:6]}"
    )
    r = await pipeline.api.post(f"/v1/posts/{pid}/retry", headers=caller.headers)
    assert r.status_code == 200, r.text
    # The lease handed back is already due on the database's clock.
    async with pipeline.sessionmaker() as s:
        lease = (
            await s.execute(
                text("SELECT lease_expires_at <= now() FROM posts WHERE id = :id"), {"id": pid}
            )
        ).scalar_one()
    assert lease is True

    async def published() -> bool:
        return await post_status(pipeline, pid) == "PUBLISHED"

    await pipeline.until(published)
    assert str((await results(pipeline, pid))["LINKEDIN"].account_id) == second["id"]
    assert len(await pipeline.sim.published("LINKEDIN")) == 1
