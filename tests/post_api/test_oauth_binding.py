"""Connecting an account is finished only by the user who started it.

The attack: someone starts connecting, sends the platform's authorize link to a victim, the
victim approves with their own platform account, and the victim's browser brings the code
back. Before, the callback needed no login and attached the victim's account to whoever
had started. Now nothing is attached unless the starter's own token comes with the code.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from herald_db.models import PublishingAccount
from tests.factories import authorize, connect_via_oauth, finish, register


async def _accounts_of(sessionmaker, *user_ids: uuid.UUID) -> int:
    async with sessionmaker() as s:
        stmt = select(func.count()).where(PublishingAccount.user_id.in_(user_ids))
        return int((await s.execute(stmt)).scalar_one())


@pytest.mark.parametrize("platform", ["twitter", "instagram", "linkedin", "facebook"])
async def test_a_code_brought_back_by_anyone_else_attaches_nothing(
    client, sim, sessionmaker, platform
):
    attacker = await register(client)
    victim = await register(client)
    victim_login = f"victim-{uuid.uuid4().hex[:6]}"
    # The attacker's link, approved on the platform by the victim's own login.
    location = await authorize(client, attacker, platform, login=victim_login)

    # The victim's browser lands on the API itself: a GET connects nothing.
    landing = await client.get(location.path, params=dict(location.params))
    assert landing.status_code == 200
    assert landing.json()["state"] == location.params["state"]
    assert "connect" in landing.json()["detail"].lower()

    # Brought back with no credentials at all.
    anonymous = await finish(client, None, location)
    assert anonymous.status_code == 401

    # Brought back by the victim's frontend, with the victim's own token.
    other_user = await finish(client, victim, location)
    assert other_user.status_code == 422
    assert other_user.json()["field"] == "state"

    assert await _accounts_of(sessionmaker, attacker.id, victim.id) == 0
    for who in (attacker, victim):
        assert (await client.get("/v1/accounts", headers=who.headers)).json() == []

    # The victim connecting their own account the ordinary way still works.
    own = await connect_via_oauth(client, victim, platform, login=victim_login)
    assert own["state"] == "active"
    assert await _accounts_of(sessionmaker, attacker.id) == 0


async def test_the_state_is_spent_by_its_own_user_only_once(client, sim):
    caller = await register(client)
    location = await authorize(client, caller, "linkedin")
    assert (await finish(client, caller, location)).status_code == 200
    again = await finish(client, caller, location)
    assert again.status_code == 422
