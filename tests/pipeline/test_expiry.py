"""An account whose access ends within a week, with no way to refresh, is flagged ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from herald_db.models import Notification, PublishingAccount
from tests.pipeline.helpers import user_with_accounts


async def test_account_ending_within_a_week_is_flagged_once(pipeline):
    caller = await user_with_accounts(pipeline, ["LINKEDIN", "TWITTER"])
    ends = datetime.now(UTC) + timedelta(days=3)
    async with pipeline.sessionmaker() as s:
        await s.execute(
            update(PublishingAccount)
            .where(PublishingAccount.user_id == caller.id, PublishingAccount.platform == "LINKEDIN")
            .values(access_ends_at=ends)
        )
        await s.commit()
    await pipeline.scheduler().run_once()
    await pipeline.scheduler().run_once()  # a second pass tells nobody twice
    async with pipeline.sessionmaker() as s:
        notes = (
            (await s.execute(select(Notification).where(Notification.user_id == caller.id)))
            .scalars()
            .all()
        )
    assert [n.kind for n in notes] == ["account.expiring"]
    assert "LinkedIn" in notes[0].title
    listed = (await pipeline.api.get("/v1/accounts", headers=caller.headers)).json()
    flags = {a["platform"]: a["expiring_soon"] for a in listed}
    assert flags == {"LINKEDIN": True, "TWITTER": False}
