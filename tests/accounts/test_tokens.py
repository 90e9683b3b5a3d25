"""Renewed tokens are stored at once, and one account's renewals never overlap: the keeper
against real Postgres, then every adapter call that can renew against the simulator."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import text, update

from herald_accounts import TokenStore
from herald_common.crypto import SecretBox, generate_key
from herald_common.settings import PlatformSettings
from herald_db.enums import Platform
from herald_db.models import PublishingAccount
from herald_db.session import make_engine, make_sessionmaker
from herald_platforms.base import Credentials, PostPayload
from herald_platforms.errors import AuthFailed, Rejected, Transient
from herald_platforms.registry import get_adapter
from tests.factories import connect_via_oauth, register


async def until(condition: Callable[[], Awaitable[bool]], seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        assert time.monotonic() < deadline, "condition not reached before the deadline"
        await asyncio.sleep(0.02)


@pytest.fixture
def store(sessionmaker, box) -> TokenStore:
    return TokenStore(sessionmaker, box)


async def connected(client, platform: str = "twitter") -> tuple[uuid.UUID, str]:
    """A user with one account connected through the API; (account id, platform login)."""
    caller = await register(client)
    login = uuid.uuid4().hex[:10]
    account = await connect_via_oauth(client, caller, platform, login=login)
    return uuid.UUID(account["id"]), login


async def stored(sessionmaker, store: TokenStore, account_id: uuid.UUID) -> Credentials:
    async with sessionmaker() as s:
        row = await s.get(PublishingAccount, account_id)
        return store.credentials(row.credentials)


async def load(sessionmaker, store: TokenStore, account_id: uuid.UUID):
    """What a job does first: the account as stored now, ready for an adapter."""
    async with sessionmaker() as s:
        return store.account(await s.get(PublishingAccount, account_id))


def renewed(creds: Credentials, tag: str) -> Credentials:
    return Credentials(
        f"access-{tag}", f"refresh-{tag}", datetime.now(UTC) + timedelta(hours=2), creds.extra
    )


# -- the keeper against Postgres ---------------------------------------------------------


async def test_a_renewal_is_stored_before_the_caller_goes_on(client, sessionmaker, store):
    account_id, _ = await connected(client)
    first = await stored(sessionmaker, store, account_id)
    keeper = store.keeper(account_id, first)

    async def renew(creds: Credentials) -> Credentials:
        assert creds.refresh_token == first.refresh_token
        return renewed(creds, "2")

    new = await keeper.refresh(first, renew)
    # Nothing has been done with the new credentials yet, and they are stored already.
    assert (await stored(sessionmaker, store, account_id)).refresh_token == "refresh-2"
    assert new.refresh_token == "refresh-2"
    assert keeper.current is new


async def test_two_workers_renewing_one_account_spend_its_refresh_token_once(
    client, sessionmaker, store, database_url, box
):
    account_id, _ = await connected(client)
    first = await stored(sessionmaker, store, account_id)
    # A second worker: its own engine, so its own connections to Postgres.
    other_engine = make_engine(database_url, pool_size=2)
    other = TokenStore(make_sessionmaker(other_engine), box)
    calls: list[str] = []
    release = asyncio.Event()

    async def slow_renew(creds: Credentials) -> Credentials:
        calls.append(creds.refresh_token or "")
        await release.wait()
        return renewed(creds, "a")

    async def renew_b(creds: Credentials) -> Credentials:
        calls.append(creds.refresh_token or "")
        return renewed(creds, "b")

    async def waiting_for_the_lock() -> bool:
        async with sessionmaker() as s:
            n = await s.scalar(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
                    "AND database = (SELECT oid FROM pg_database WHERE datname = "
                    "current_database())"
                )
            )
            return bool(n)

    async def renewing() -> bool:
        return bool(calls)

    a = asyncio.create_task(store.keeper(account_id, first).refresh(first, slow_renew))
    b: asyncio.Task[Credentials] | None = None
    try:
        await until(renewing)
        b = asyncio.create_task(other.keeper(account_id, first).refresh(first, renew_b))
        # The second worker waits for the first one's renewal to end.
        await until(waiting_for_the_lock)
        assert not b.done()
    finally:
        release.set()
        ended = await asyncio.gather(a, *([b] if b else []), return_exceptions=True)
        await other_engine.dispose()
    got_a, got_b = ended
    assert calls == [first.refresh_token]  # one token request, with the stored refresh token
    assert got_a.refresh_token == got_b.refresh_token == "refresh-a"
    assert (await stored(sessionmaker, store, account_id)).refresh_token == "refresh-a"


async def test_a_refused_renewal_uses_credentials_the_user_reconnected_with_meanwhile(
    client, sessionmaker, store, box
):
    account_id, _ = await connected(client)
    first = await stored(sessionmaker, store, account_id)
    fresh = renewed(first, "reconnected")

    async def refused(creds: Credentials) -> Credentials:
        # The user reconnects while this renewal is out; the platform refuses the old grant.
        async with sessionmaker() as s:
            await s.execute(
                update(PublishingAccount)
                .where(PublishingAccount.id == account_id)
                .values(credentials=box.encrypt_json(fresh.to_dict()))
            )
            await s.commit()
        raise AuthFailed("invalid_grant")

    got = await store.keeper(account_id, first).refresh(first, refused)
    assert got.refresh_token == "refresh-reconnected"


async def test_a_busy_lock_is_a_transient_failure_not_a_dead_account(client, sessionmaker, box):
    account_id, _ = await connected(client)
    impatient = TokenStore(sessionmaker, box, lock_wait_seconds=0.2)
    first = await stored(sessionmaker, impatient, account_id)

    async def never(creds: Credentials) -> Credentials:
        raise AssertionError("the token endpoint must not be called")

    async with sessionmaker() as holder:
        await holder.execute(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
            {"k": f"herald.token-renewal:{account_id}"},
        )
        with pytest.raises(Transient) as info:
            await impatient.keeper(account_id, first).refresh(first, never)
        await holder.rollback()
    assert not isinstance(info.value, AuthFailed)


async def test_stored_credentials_no_key_decrypts_fail_the_renewal_as_auth(
    client, sessionmaker, store
):
    account_id, _ = await connected(client)
    first = await stored(sessionmaker, store, account_id)
    foreign = SecretBox(generate_key())
    async with sessionmaker() as s:
        await s.execute(
            update(PublishingAccount)
            .where(PublishingAccount.id == account_id)
            .values(credentials=foreign.encrypt_json(first.to_dict()))
        )
        await s.commit()

    async def never(creds: Credentials) -> Credentials:
        raise AssertionError("the token endpoint must not be called")

    with pytest.raises(AuthFailed, match="can no longer be decrypted"):
        await store.keeper(account_id, first).refresh(first, never)


# -- every call that can renew, against the simulator's single-use refresh tokens ----------


@pytest.fixture
def platform_settings(sim) -> PlatformSettings:
    return PlatformSettings.model_validate(sim.platform_settings_kwargs())


async def refresh_token_works(http: httpx.AsyncClient, settings, refresh_token: str) -> bool:
    """Ask X's token endpoint directly whether a refresh token is still good (spends it)."""
    r = await http.post(
        settings.x_api_base + "/2/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
    )
    return r.status_code == 200


async def _renewal_inside(call: str, client, sim, sessionmaker, store, platform_settings) -> None:
    account_id, login = await connected(client)
    adapter = get_adapter(Platform.TWITTER, platform_settings)
    first = await stored(sessionmaker, store, account_id)
    async with httpx.AsyncClient() as http:
        acct = await load(sessionmaker, store, account_id)
        published = await adapter.publish(http, acct, PostPayload(f"metrics {uuid.uuid4()}"))
        for round_no in range(2):
            await sim.expire_token("TWITTER", login)
            # Each round is a new job: it starts from what is stored.
            acct = await load(sessionmaker, store, account_id)
            if call == "find_published":
                found = await adapter.find_published(http, acct, PostPayload("not posted"))
                assert found is None
            elif call == "fetch_metrics":
                metrics = await adapter.fetch_metrics(http, acct, [published.external_post_id])
                assert [m.external_post_id for m in metrics] == [published.external_post_id]
            else:  # a publish that fails after renewing: X refuses an over-long text
                with pytest.raises(Rejected, match="not permitted"):
                    await adapter.publish(http, acct, PostPayload("x" * 300))
            now = await stored(sessionmaker, store, account_id)
            assert now.refresh_token != first.refresh_token, f"round {round_no}: not stored"
            first = now
        async with sessionmaker() as s:
            row = await s.get(PublishingAccount, account_id)
            assert row.is_active
            assert not row.needs_reconnect
        # What is stored is the one live refresh token.
        assert await refresh_token_works(http, platform_settings, first.refresh_token or "")


@pytest.mark.parametrize("call", ["find_published", "fetch_metrics", "failed_publish"])
async def test_a_renewal_inside_any_call_is_stored_and_the_next_one_succeeds(
    call, client, sim, sessionmaker, store, platform_settings
):
    await _renewal_inside(call, client, sim, sessionmaker, store, platform_settings)


async def test_renewals_leave_the_account_row_otherwise_as_it_was(
    client, sim, sessionmaker, store, platform_settings
):
    account_id, login = await connected(client)
    async with sessionmaker() as s:
        before = await s.get(PublishingAccount, account_id)
    await sim.expire_token("TWITTER", login)
    adapter = get_adapter(Platform.TWITTER, platform_settings)
    async with httpx.AsyncClient() as http:
        await adapter.find_published(
            http, await load(sessionmaker, store, account_id), PostPayload("x")
        )
    async with sessionmaker() as s:
        after = await s.get(PublishingAccount, account_id)
    assert after.credentials != before.credentials
    assert after.token_expires_at > before.token_expires_at
    # The order of a user's accounts (most recently connected first) is not disturbed.
    assert after.updated_at == before.updated_at
