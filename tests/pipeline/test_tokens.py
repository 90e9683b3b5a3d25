"""Accounts stay connected through the publisher: a renewal inside a publish that fails is
kept, two publisher processes renewing one X account at once spend its single-use refresh
token once, and credentials no key can decrypt fail their own account only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from herald_common.crypto import SecretBox, generate_key
from herald_db.models import Notification, PublishingAccount
from tests.factories import connect_via_oauth
from tests.pipeline.helpers import exactly_once, post_status, results, user_with_accounts
from tests.pipeline.test_processes import BIG_LIMITS, _assert_once, _bulk_posts, _remaining


async def _account(pipeline, user_id, platform: str) -> PublishingAccount:
    async with pipeline.sessionmaker() as s:
        return (
            await s.execute(
                select(PublishingAccount).where(
                    PublishingAccount.user_id == user_id, PublishingAccount.platform == platform
                )
            )
        ).scalar_one()


async def _refresh_token(pipeline, user_id) -> str | None:
    account = await _account(pipeline, user_id, "TWITTER")
    return pipeline.box.decrypt_json(account.credentials)["refresh_token"]


async def _login(pipeline, caller) -> str:
    listed = (await pipeline.api.get("/v1/accounts", headers=caller.headers)).json()
    return next(a for a in listed if a["platform"] == "TWITTER")["display_name"][1:]


async def _post(
    pipeline, caller, text: str, platforms: list[str], when: datetime | None = None
) -> str:
    when = when or datetime.now(UTC) + timedelta(seconds=0.5)
    body = {"content": text, "platforms": platforms, "scheduled_at": when.isoformat()}
    r = await pipeline.api.post("/v1/posts", json=body, headers=caller.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


async def _settled(pipeline, *ids: str) -> None:
    async def done() -> bool:
        return all([await post_status(pipeline, p) in ("PUBLISHED", "FAILED") for p in ids])

    await pipeline.until(done)


async def _token_requests(pipeline) -> int:
    return (await pipeline.sim.requests()).get("TWITTER", {}).get("oauth", 0)


async def test_a_renewal_inside_a_publish_that_fails_keeps_the_account(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    login = await _login(pipeline, caller)
    same_text = f"twice {uuid.uuid4().hex}"
    first = await _post(pipeline, caller, same_text, ["TWITTER"])
    await _settled(pipeline, first)
    assert await post_status(pipeline, first) == "PUBLISHED"
    spent = await _refresh_token(pipeline, caller.id)
    # The access token runs out; the next post renews it, then X refuses it as a duplicate.
    await pipeline.sim.expire_token("TWITTER", login)
    second = await _post(pipeline, caller, same_text, ["TWITTER"])
    await _settled(pipeline, second)
    assert await post_status(pipeline, second) == "FAILED"
    assert "duplicate" in (await results(pipeline, second))["TWITTER"].error_message
    account = await _account(pipeline, caller.id, "TWITTER")
    assert not account.needs_reconnect
    kept = await _refresh_token(pipeline, caller.id)
    assert kept != spent
    # Out again: the next renewal spends the stored refresh token, and the post goes out.
    await pipeline.sim.expire_token("TWITTER", login)
    third = await _post(pipeline, caller, f"third {uuid.uuid4().hex}", ["TWITTER"])
    await _settled(pipeline, third)
    assert await post_status(pipeline, third) == "PUBLISHED"
    assert await _refresh_token(pipeline, caller.id) not in (spent, kept)
    assert not (await _account(pipeline, caller.id, "TWITTER")).needs_reconnect


@pytest.mark.slow
async def test_two_publisher_processes_renewing_one_x_account_keep_it_connected(pipeline):
    await pipeline.sim.set_rate_limit("TWITTER", 1_000_000, 900)
    # Slow answers (the token endpoint's too), so jobs of both processes overlap.
    await pipeline.sim.set_faults(TWITTER={"latency_ms": 100})
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    login = await _login(pipeline, caller)
    await pipeline.sim.expire_token("TWITTER", login)
    token_calls = await _token_requests(pipeline)
    creates = (await pipeline.sim.requests())["TWITTER"].get("publish", 0)
    procs = [pipeline.start("herald_scheduler", **BIG_LIMITS)]
    procs += [
        pipeline.start("herald_publisher", **BIG_LIMITS, HERALD_MAX_JOBS="3") for _ in range(2)
    ]
    for p in procs:
        await pipeline.ready(p)
    tag = await _bulk_posts(pipeline, caller.id, 60, ["TWITTER"], due_in=1)

    async def drained() -> bool:
        return await _remaining(pipeline, tag) == 0

    await pipeline.until(drained, seconds=120, step=False)
    _assert_once(await exactly_once(pipeline), 60)
    account = await _account(pipeline, caller.id, "TWITTER")
    assert account.is_active
    assert not account.needs_reconnect, account.reconnect_reason
    refused = (await pipeline.sim.requests())["TWITTER"]["publish"] - creates - 60
    # Several jobs met the expired token at once and each asked for a renewal; X's token
    # endpoint was called once.
    assert refused >= 2
    assert await _token_requests(pipeline) - token_calls == 1


async def test_credentials_no_key_decrypts_fail_only_their_own_account(pipeline):
    alice = await user_with_accounts(pipeline, ["TWITTER", "LINKEDIN"])
    bob = await user_with_accounts(pipeline, ["TWITTER"])
    # Alice's X credentials were written with a key the publisher no longer has.
    lost_key = SecretBox(generate_key())
    alice_x = await _account(pipeline, alice.id, "TWITTER")
    async with pipeline.sessionmaker() as s:
        await s.execute(
            update(PublishingAccount)
            .where(PublishingAccount.id == alice_x.id)
            .values(credentials=lost_key.encrypt_json({"access_token": "gone"}))
        )
        await s.commit()
    when = datetime.now(UTC) + timedelta(seconds=0.5)
    mixed = await _post(pipeline, alice, f"alice {uuid.uuid4().hex}", ["TWITTER", "LINKEDIN"], when)
    other = await _post(pipeline, bob, f"bob {uuid.uuid4().hex}", ["TWITTER"], when)

    # Both come due together and go to the publisher in one job.
    async def claimed() -> bool:
        await pipeline.scheduler().run_once()
        return await post_status(pipeline, mixed) == "PUBLISHING"

    await pipeline.until(claimed, step=False)
    jobs = await pipeline.arq.queued_jobs(queue_name=pipeline.publisher_settings.queue_name)
    assert [sorted(j.args[0]) for j in jobs] == [sorted([mixed, other])]
    await pipeline.work()

    assert await post_status(pipeline, other) == "PUBLISHED"
    assert await post_status(pipeline, mixed) == "FAILED"
    rows = await results(pipeline, mixed)
    assert rows["LINKEDIN"].status.value == "SUCCEEDED"
    assert rows["TWITTER"].status.value == "FAILED"
    assert rows["TWITTER"].error_kind == "auth"
    assert "can no longer be decrypted" in rows["TWITTER"].error_message
    assert rows["TWITTER"].attempts == 0  # nothing was sent
    alice_x = await _account(pipeline, alice.id, "TWITTER")
    assert alice_x.needs_reconnect
    assert alice_x.reconnect_reason == "its stored credentials can no longer be decrypted"
    assert not (await _account(pipeline, alice.id, "LINKEDIN")).needs_reconnect
    assert not (await _account(pipeline, bob.id, "TWITTER")).needs_reconnect
    async with pipeline.sessionmaker() as s:
        told = {
            n.kind: n.body
            for n in (
                await s.execute(select(Notification).where(Notification.user_id == alice.id))
            ).scalars()
        }
    assert "decrypted" in told["account.needs_reconnect"]
    assert "TWITTER" in told["post.failed"]
    published = await pipeline.sim.published()
    assert sorted(p["platform"] for p in published) == ["LINKEDIN", "TWITTER"]
    # Reconnecting writes readable credentials again, and a retry goes out.
    login = await _login(pipeline, alice)
    await connect_via_oauth(pipeline.api, alice, "twitter", login=login)
    again = await pipeline.api.post(f"/v1/posts/{mixed}/retry", headers=alice.headers)
    assert again.status_code == 200, again.text
    await _settled(pipeline, mixed)
    assert await post_status(pipeline, mixed) == "PUBLISHED"
