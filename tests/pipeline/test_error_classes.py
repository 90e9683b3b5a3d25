"""The platforms' harder error classes through the publisher: X's usage cap waits for its
reset and tells the user, Instagram's restricted-activity block is checked and never resent
blindly, and a throttled Instagram refresh neither stops a post nor the account."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from herald_db.models import Notification, PublishingAccount
from tests.pipeline.helpers import (
    attempts,
    exactly_once,
    post_status,
    results,
    schedule,
    user_with_accounts,
)


async def _account(pipeline, user_id, platform: str) -> PublishingAccount:
    async with pipeline.sessionmaker() as s:
        return (
            await s.execute(
                select(PublishingAccount).where(
                    PublishingAccount.user_id == user_id, PublishingAccount.platform == platform
                )
            )
        ).scalar_one()


async def _settled(pipeline, pid: str) -> None:
    async def done() -> bool:
        return await post_status(pipeline, pid) in ("PUBLISHED", "FAILED")

    await pipeline.until(done)


async def test_x_usage_cap_waits_for_the_next_month_and_tells_the_user_once(pipeline):
    caller = await user_with_accounts(pipeline, ["TWITTER"])
    await pipeline.sim.script("TWITTER", [{"fault": "usage_cap"}] * 2)
    ids = [await schedule(pipeline, caller, seconds=0.5, platforms=["TWITTER"]) for _ in range(2)]

    async def both_waiting() -> bool:
        rows = [(await results(pipeline, pid)).get("TWITTER") for pid in ids]
        return all(r is not None and r.status.value == "RETRY_WAIT" for r in rows)

    await pipeline.until(both_waiting)
    now = datetime.now(UTC)
    month_end = (now.replace(day=1) + timedelta(days=32)).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    for pid in ids:
        row = (await results(pipeline, pid))["TWITTER"]
        assert row.next_attempt_at >= month_end
        assert "usage cap" in row.error_message
        assert [a.outcome.value for a in await attempts(pipeline, pid)] == ["RATE_LIMITED"]
    # Nothing goes out before the reset.
    await pipeline.step()
    assert all([len(await attempts(pipeline, pid)) == 1 for pid in ids])
    assert await pipeline.sim.published() == []
    async with pipeline.sessionmaker() as s:
        notes = list(
            (
                await s.execute(select(Notification).where(Notification.user_id == caller.id))
            ).scalars()
        )
    assert [n.kind for n in notes] == ["account.usage_capped"]
    assert notes[0].title == f"Posts to X wait until {month_end:%Y-%m-%d} 00:00 UTC"
    assert notes[0].data["resets_at"] == month_end.isoformat()
    assert not (await _account(pipeline, caller.id, "TWITTER")).needs_reconnect


async def test_instagram_restricted_after_publishing_is_checked_not_sent_again(pipeline):
    caller = await user_with_accounts(pipeline, ["INSTAGRAM"])
    blocked = {"fault": "drop_after_create", "status": 400, "code": 4, "subcode": 2207051}
    await pipeline.sim.script("INSTAGRAM", [blocked])
    pid = await schedule(pipeline, caller, seconds=0.5, platforms=["INSTAGRAM"])
    await _settled(pipeline, pid)
    assert await post_status(pipeline, pid) == "PUBLISHED"
    assert [a.outcome.value for a in await attempts(pipeline, pid)] == ["UNKNOWN", "RECONCILED"]
    assert set((await exactly_once(pipeline)).values()) == {1}


async def test_instagram_refresh_throttled_neither_stops_the_post_nor_the_account(pipeline):
    caller = await user_with_accounts(pipeline, ["INSTAGRAM"])
    account = await _account(pipeline, caller.id, "INSTAGRAM")
    # The stored token has three days left: inside Instagram's week-ahead renewal window.
    creds = pipeline.box.decrypt_json(account.credentials)
    ends = datetime.now(UTC) + timedelta(days=3)
    creds["expires_at"] = ends.isoformat()
    async with pipeline.sessionmaker() as s:
        await s.execute(
            update(PublishingAccount)
            .where(PublishingAccount.id == account.id)
            .values(credentials=pipeline.box.encrypt_json(creds), token_expires_at=ends)
        )
        await s.commit()
    await pipeline.sim.script("INSTAGRAM", [{"fault": "rate_limit"}], action="oauth")
    first = await schedule(pipeline, caller, seconds=0.5, platforms=["INSTAGRAM"])
    await _settled(pipeline, first)
    assert await post_status(pipeline, first) == "PUBLISHED"
    account = await _account(pipeline, caller.id, "INSTAGRAM")
    assert not account.needs_reconnect
    assert pipeline.box.decrypt_json(account.credentials)["access_token"] == creds["access_token"]
    # The token endpoint answers again: the next post renews the token and it is stored.
    second = await schedule(pipeline, caller, seconds=0.5, platforms=["INSTAGRAM"])
    await _settled(pipeline, second)
    assert await post_status(pipeline, second) == "PUBLISHED"
    account = await _account(pipeline, caller.id, "INSTAGRAM")
    assert pipeline.box.decrypt_json(account.credentials)["access_token"] != creds["access_token"]
    assert account.token_expires_at > datetime.now(UTC) + timedelta(days=50)
