"""Moving every stored secret to the newest key, so the old key can be removed."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_common.crypto import SecretBox, SecretBoxError, generate_key
from herald_db.enums import Platform
from herald_db.migrate import upgrade
from herald_db.models import OAuthState, PublishingAccount, User, WebhookEndpoint
from herald_db.reencrypt import reencrypt
from herald_db.session import make_engine, make_sessionmaker
from tests.conftest import create_database, drop_database

OLD = generate_key()
NEW = generate_key()


@pytest.fixture(scope="module")
def own_db(servers):
    # A database of its own: re-encrypting must not touch the rows other tests read.
    pg, _ = servers
    name = f"herald_keys_{uuid.uuid4().hex[:8]}"
    url = create_database(pg.url, name)
    try:
        upgrade(url)
        yield url
    finally:
        drop_database(pg.url, name)


@pytest.fixture
async def maker(own_db) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = make_engine(own_db)
    yield make_sessionmaker(engine)
    await engine.dispose()


async def _seed(maker, old: SecretBox) -> dict[str, object]:
    """Five accounts, a webhook and a pending connection under ``old``; one account no key reads."""
    stranger = SecretBox(generate_key())
    async with maker() as s:
        user = User(email=f"k-{uuid.uuid4().hex[:8]}@example.com", password_hash="x")
        s.add(user)
        await s.flush()
        accounts = [
            PublishingAccount(
                user_id=user.id,
                platform=Platform.TWITTER,
                external_account_id=f"acct-{i}",
                credentials=old.encrypt_json({"access_token": f"token-{i}"}),
            )
            for i in range(5)
        ]
        lost = PublishingAccount(
            user_id=user.id,
            platform=Platform.LINKEDIN,
            external_account_id="lost",
            credentials=stranger.encrypt_json({"access_token": "unreadable"}),
        )
        hook = WebhookEndpoint(
            user_id=user.id, url="https://h.example.com/x", secret=old.encrypt_str("whsec_abc")
        )
        state = OAuthState(
            state_hash=uuid.uuid4().hex,
            user_id=user.id,
            platform=Platform.TWITTER,
            code_verifier=old.encrypt_str("verifier"),
            redirect_uri="https://app.example.com/cb",
            expires_at=datetime.now(UTC) + timedelta(minutes=10),
        )
        s.add_all([*accounts, lost, hook, state])
        await s.commit()
        stamps = {a.id: a.updated_at for a in accounts}
        return {"accounts": stamps, "lost": lost.id, "hook": hook.id, "state": state.state_hash}


async def test_every_secret_moves_to_the_newest_key_with_progress(maker):
    seeded = await _seed(maker, SecretBox(OLD))
    lines: list[str] = []
    reports = await reencrypt(maker, SecretBox(f"{NEW},{OLD}"), batch=2, progress=lines.append)
    by_label = {r.label: r for r in reports}
    accounts = by_label["account credentials"]
    assert (accounts.total, accounts.moved, accounts.unreadable) == (6, 5, [str(seeded["lost"])])
    assert by_label["webhook secrets"].moved == 1
    assert by_label["pending connection verifiers"].moved == 1
    # Progress: a line per batch of two, ending at the whole count.
    account_lines = [line for line in lines if line.startswith("account credentials")]
    assert account_lines[0].startswith("account credentials: 0/6")
    assert account_lines[-1].startswith("account credentials: 6/6 (moved 5")
    assert len(account_lines) == 1 + 3

    only_new = SecretBox(NEW)
    async with maker() as s:
        rows = (await s.execute(select(PublishingAccount))).scalars().all()
        hook = await s.get(WebhookEndpoint, seeded["hook"])
        state = await s.get(OAuthState, seeded["state"])
    for row in rows:
        if row.id == seeded["lost"]:
            with pytest.raises(SecretBoxError):
                only_new.decrypt_json(row.credentials)
            continue
        assert only_new.decrypt_json(row.credentials)["access_token"].startswith("token-")
        # The user's own timestamps do not move with the operator's key.
        assert row.updated_at == seeded["accounts"][row.id]
    assert only_new.decrypt_str(hook.secret) == "whsec_abc"
    assert state.code_verifier is not None
    assert only_new.decrypt_str(state.code_verifier) == "verifier"

    # A second run finds everything on the newest key and changes nothing.
    again = await reencrypt(maker, SecretBox(f"{NEW},{OLD}"), batch=2, progress=lambda _: None)
    assert sum(r.moved for r in again) == 0
    assert {r.label: r.already_newest for r in again}["account credentials"] == 5


async def test_command_reports_unreadable_rows_then_succeeds(maker, own_db):
    async with maker() as s:
        await s.execute(delete(PublishingAccount))
        await s.execute(delete(WebhookEndpoint))
        await s.execute(delete(OAuthState))
        await s.commit()
    seeded = await _seed(maker, SecretBox(OLD))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update(DATABASE_URL=own_db, HERALD_ENCRYPTION_KEYS=f"{NEW},{OLD}")
    command = [sys.executable, "-m", "herald_db.reencrypt", "--batch", "3"]
    first = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120
    )
    assert first.returncode == 1, first.stderr
    assert "account credentials: 6/6 (moved 5" in first.stdout
    assert str(seeded["lost"]) in first.stderr
    assert "token-" not in first.stdout + first.stderr
    async with maker() as s:
        await s.execute(delete(PublishingAccount).where(PublishingAccount.id == seeded["lost"]))
        await s.commit()
    second = await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120
    )
    assert second.returncode == 0, second.stderr
    assert "done: 0 secrets moved" in second.stdout
    # With only the new key, everything still reads.
    async with maker() as s:
        rows = (await s.execute(select(PublishingAccount))).scalars().all()
    assert {SecretBox(NEW).decrypt_json(r.credentials)["access_token"] for r in rows} == {
        f"token-{i}" for i in range(5)
    }


def test_the_built_in_key_cannot_be_the_target_outside_dev(own_db):
    from herald_common.settings import DEV_ENCRYPTION_KEY

    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    env.update(DATABASE_URL=own_db, HERALD_ENCRYPTION_KEYS=f"{DEV_ENCRYPTION_KEY},{OLD}")
    done = subprocess.run(
        [sys.executable, "-m", "herald_db.reencrypt"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "HERALD_ENCRYPTION_KEYS" in done.stderr
