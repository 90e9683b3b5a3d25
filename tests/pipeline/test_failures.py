"""Failures sorted: transient retried, permanent at once, auth marks the account, limits wait."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import uvicorn
from fastapi import FastAPI, Request
from sqlalchemy import select
from standardwebhooks.webhooks import Webhook

from herald_common.webhooks import new_secret
from herald_db.models import Notification, PublishingAccount, WebhookDelivery, WebhookEndpoint
from herald_devrun.infra import free_port
from tests.factories import connect_via_oauth
from tests.pipeline.helpers import (
    attempts,
    exactly_once,
    post_status,
    results,
    schedule,
    user_with_accounts,
)


async def _settled(pipeline, pid: str) -> None:
    async def done() -> bool:
        return await post_status(pipeline, pid) in ("PUBLISHED", "FAILED")

    await pipeline.until(done)


async def test_transient_failures_then_success(pipeline):
    caller = await user_with_accounts(pipeline, ["LINKEDIN"])
    await pipeline.sim.script("LINKEDIN", [{"fault": "error", "status": 503}] * 2)
    pid = await schedule(pipeline, caller, seconds=0.5, platforms=["LINKEDIN"])
    await _settled(pipeline, pid)
    assert await post_status(pipeline, pid) == "PUBLISHED"
    tries = await attempts(pipeline, pid)
    assert [a.outcome.value for a in tries] == ["UNKNOWN", "UNKNOWN", "SUCCEEDED"]
    assert (await results(pipeline, pid))["LINKEDIN"].attempts == 3
    assert set((await exactly_once(pipeline)).values()) == {1}


async def test_permanent_failure_fails_at_once(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    await pipeline.sim.script("TWITTER", [{"fault": "error", "status": 400}])
    pid = await schedule(pipeline, caller, seconds=0.5, platforms=["TWITTER"])
    await _settled(pipeline, pid)
    assert await post_status(pipeline, pid) == "FAILED"
    row = (await results(pipeline, pid))["TWITTER"]
    assert row.attempts == 1
    assert row.error_kind == "permanent"
    assert "400" in row.error_message


async def test_three_transient_retries_then_failed_with_the_message(pipeline):
    caller = await user_with_accounts(pipeline, ["FACEBOOK"])
    await pipeline.sim.script("FACEBOOK", [{"fault": "error", "status": 503}] * 4)
    pid = await schedule(pipeline, caller, seconds=0.5, platforms=["FACEBOOK"])
    await _settled(pipeline, pid)
    assert await post_status(pipeline, pid) == "FAILED"
    row = (await results(pipeline, pid))["FACEBOOK"]
    # The first try and three retries, each a 5xx on a create (unknown), then a last check
    # that finds nothing and sends nothing.
    assert row.attempts == 5
    assert [a.outcome.value for a in await attempts(pipeline, pid)] == ["UNKNOWN"] * 4 + [
        "TRANSIENT"
    ]
    assert (await pipeline.sim.requests())["FACEBOOK"]["publish"] == 4
    assert row.error_message.startswith("Gave up after 5 attempts")
    assert "unexpected error" in row.error_message
    assert "Facebook has no such post" in row.error_message
    assert row.unknown_since is None
    async with pipeline.sessionmaker() as s:
        note = (
            await s.execute(select(Notification).where(Notification.user_id == caller.id))
        ).scalar_one()
    assert note.kind == "post.failed"
    assert "FACEBOOK" in note.body


async def test_429_retry_after_is_waited(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    await pipeline.sim.script("TWITTER", [{"fault": "rate_limit", "retry_after": 7}])
    pid = await schedule(pipeline, caller, seconds=0.5, platforms=["TWITTER"])

    async def waiting() -> bool:
        return (await results(pipeline, pid)).get("TWITTER") is not None and (
            await results(pipeline, pid)
        )["TWITTER"].status.value == "RETRY_WAIT"

    await pipeline.until(waiting)
    row = (await results(pipeline, pid))["TWITTER"]
    first = (await attempts(pipeline, pid))[0]
    assert first.outcome.value == "RATE_LIMITED"
    assert row.next_attempt_at - first.finished_at >= timedelta(seconds=6.9)
    # Nothing happens before the time comes ...
    await pipeline.step()
    assert len(await attempts(pipeline, pid)) == 1
    # ... and the retry goes out once it has.
    pipeline.clock.advance(7)
    await _settled(pipeline, pid)
    assert await post_status(pipeline, pid) == "PUBLISHED"


async def test_over_the_limit_waits_for_the_window(pipeline):
    pipeline.publisher_settings = pipeline.publisher_settings.model_copy(
        update={"rate_limit_twitter": "300/900"}
    )
    await pipeline.sim.set_rate_limit("TWITTER", 10_000, 900)
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    ids = [await schedule(pipeline, caller, seconds=1, platforms=["TWITTER"]) for _ in range(301)]

    async def all_handled() -> bool:
        states = [await post_status(pipeline, pid) for pid in ids]
        return states.count("PUBLISHED") == 300

    await pipeline.until(all_handled, seconds=120)
    waiting = [pid for pid in ids if await post_status(pipeline, pid) == "PUBLISHING"]
    assert len(waiting) == 1
    row = (await results(pipeline, waiting[0]))["TWITTER"]
    assert row.status.value == "RETRY_WAIT"
    assert row.error_kind == "rate_limit_wait"
    assert row.attempts == 0  # nothing was sent
    assert row.next_attempt_at - pipeline.clock() > timedelta(minutes=14)
    assert len(await pipeline.sim.published("TWITTER")) == 300
    pipeline.clock.advance(901)
    await _settled(pipeline, waiting[0])
    assert await post_status(pipeline, waiting[0]) == "PUBLISHED"


async def test_revoked_token_keeps_post_notifies_and_retry_publishes_only_the_failed(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER", "LINKEDIN"])
    # A webhook endpoint on loopback that checks the Standard Webhooks signature.
    secret = new_secret()
    received: list[dict] = []
    hook = FastAPI()

    @hook.post("/hook")
    async def receive(request: Request) -> dict:
        body = (await request.body()).decode()
        Webhook(secret).verify(body, dict(request.headers))
        received.append(json.loads(body))
        return {"ok": True}

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(hook, host="127.0.0.1", port=port, log_level="error"))
    task = asyncio.create_task(server.serve())
    async with pipeline.sessionmaker() as s:
        s.add(
            WebhookEndpoint(
                user_id=caller.id,
                url=f"http://127.0.0.1:{port}/hook",
                secret=pipeline.box.encrypt_str(secret),
                event_types=[],
            )
        )
        await s.commit()
    try:
        accounts = (await pipeline.api.get("/v1/accounts", headers=caller.headers)).json()
        login = next(a for a in accounts if a["platform"] == "TWITTER")["display_name"][1:]
        await pipeline.sim.revoke("TWITTER", login)
        pid = await schedule(pipeline, caller, seconds=0.5, platforms=["TWITTER", "LINKEDIN"])
        await _settled(pipeline, pid)
        assert await post_status(pipeline, pid) == "FAILED"
        rows = await results(pipeline, pid)
        assert rows["LINKEDIN"].status.value == "SUCCEEDED"
        assert rows["TWITTER"].status.value == "FAILED"
        assert rows["TWITTER"].error_kind == "auth"
        async with pipeline.sessionmaker() as s:
            acct = (
                await s.execute(
                    select(PublishingAccount).where(
                        PublishingAccount.user_id == caller.id,
                        PublishingAccount.platform == "TWITTER",
                    )
                )
            ).scalar_one()
            kinds = {
                n.kind
                for n in (
                    await s.execute(select(Notification).where(Notification.user_id == caller.id))
                ).scalars()
            }
        assert acct.needs_reconnect
        assert kinds == {"account.needs_reconnect", "post.failed"}
        listed = (await pipeline.api.get("/v1/accounts", headers=caller.headers)).json()
        assert {a["platform"]: a["state"] for a in listed}["TWITTER"] == "needs_reconnect"

        async def delivered() -> bool:
            return {e["type"] for e in received} >= {"account.needs_reconnect", "post.failed"}

        await pipeline.until(delivered)
        async with pipeline.sessionmaker() as s:
            statuses = {d.status for d in (await s.execute(select(WebhookDelivery))).scalars()}
        assert "DELIVERED" in statuses

        # Retrying before reconnecting is refused; after reconnecting only X goes out.
        early = await pipeline.api.post(f"/v1/posts/{pid}/retry", headers=caller.headers)
        assert early.status_code == 409
        await connect_via_oauth(pipeline.api, caller, "twitter", login=login)
        again = await pipeline.api.post(f"/v1/posts/{pid}/retry", headers=caller.headers)
        assert again.status_code == 200, again.text
        await _settled(pipeline, pid)
        assert await post_status(pipeline, pid) == "PUBLISHED"
        counts = await exactly_once(pipeline)
        assert sorted(k.split("|")[0] for k in counts) == ["LINKEDIN", "TWITTER"]
        assert set(counts.values()) == {1}
    finally:
        server.should_exit = True
        await task


async def test_unknown_outcome_is_reconciled_not_resent(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER", "FACEBOOK"])
    await pipeline.sim.script("TWITTER", [{"fault": "drop_after_create"}])
    await pipeline.sim.script("FACEBOOK", [{"fault": "drop_after_create"}])
    pid = await schedule(pipeline, caller, seconds=0.5, platforms=["TWITTER", "FACEBOOK"])
    await _settled(pipeline, pid)
    assert await post_status(pipeline, pid) == "PUBLISHED"
    outcomes = sorted(a.outcome.value for a in await attempts(pipeline, pid))
    assert outcomes == ["RECONCILED", "RECONCILED", "UNKNOWN", "UNKNOWN"]
    assert set((await exactly_once(pipeline)).values()) == {1}
