"""Logins: throttled per account and per address, and unknown emails answer like known ones."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from argon2 import extract_parameters

from herald_post_api.auth import security
from herald_post_api.auth.throttle import LoginThrottle
from tests.conftest import API_BASE
from tests.factories import PASSWORD, register


@asynccontextmanager
async def browser(app, address: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, client=(address, 50000))
    async with httpx.AsyncClient(transport=transport, base_url=API_BASE) as c:
        yield c


@pytest.fixture
def small_limits(app):
    """Three attempts per account, five per address, in a window of a minute."""
    original = app.state.login_throttle
    throttle = LoginThrottle(app.state.redis, f"throttle-test-{uuid.uuid4().hex}", 3, 5, 60)
    app.state.login_throttle = throttle
    yield throttle
    app.state.login_throttle = original


async def login(c: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await c.post("/v1/auth/token", data={"username": email, "password": password})


def _assert_throttled(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["type"].endswith("too-many-login-attempts")
    assert 1 <= int(r.headers["retry-after"]) <= 60
    assert "access_token" not in r.text


async def test_an_account_is_throttled_from_any_address(app, client, small_limits):
    victim = await register(client)
    async with browser(app, "198.51.100.1") as attacker:
        for _ in range(3):
            assert (await login(attacker, victim.email, "wrong guess")).status_code == 401
        _assert_throttled(await login(attacker, victim.email, "wrong guess"))
        # Over the limit even the right password waits: guessing gains nothing.
        _assert_throttled(await login(attacker, victim.email, PASSWORD))
    async with browser(app, "198.51.100.2") as elsewhere:
        _assert_throttled(await login(elsewhere, victim.email, PASSWORD))
        # Another account from the same addresses is not affected.
        other = await register(client)
        assert (await login(elsewhere, other.email, PASSWORD)).status_code == 200


async def test_an_address_is_throttled_across_accounts(app, client, small_limits):
    async with browser(app, "198.51.100.3") as sprayer:
        for i in range(5):
            r = await login(sprayer, f"nobody-{i}-{uuid.uuid4().hex[:6]}@example.com", "guess")
            assert r.status_code == 401
        fresh = await register(client)
        _assert_throttled(await login(sprayer, fresh.email, PASSWORD))
    async with browser(app, "198.51.100.4") as other_address:
        assert (await login(other_address, fresh.email, PASSWORD)).status_code == 200


async def test_a_successful_login_clears_the_account_and_returns_the_attempt(
    app, client, small_limits
):
    caller = await register(client)
    async with browser(app, "198.51.100.5") as c:
        for _ in range(2):
            assert (await login(c, caller.email, "typo")).status_code == 401
        assert (await login(c, caller.email, PASSWORD)).status_code == 200
        for _ in range(3):
            assert (await login(c, caller.email, "typo again")).status_code == 401
        _assert_throttled(await login(c, caller.email, "typo again"))


async def test_unknown_emails_are_throttled_like_known_ones(app, small_limits):
    unknown = f"ghost-{uuid.uuid4().hex[:8]}@example.com"
    async with browser(app, "198.51.100.6") as c:
        for _ in range(3):
            assert (await login(c, unknown, "guess")).status_code == 401
        _assert_throttled(await login(c, unknown, "guess"))


async def test_unknown_email_answers_like_a_wrong_password_after_the_same_work(
    app, client, monkeypatch
):
    caller = await register(client)
    real = security._hasher
    checked: list[str] = []

    class Recording:
        """Argon2 itself, recording which hashes it is asked to check."""

        def verify(self, password_hash: str, password: str) -> bool:
            checked.append(password_hash)
            return real.verify(password_hash, password)

        def hash(self, password: str) -> str:
            return real.hash(password)

    monkeypatch.setattr(security, "_hasher", Recording())
    async with browser(app, "198.51.100.7") as c:
        wrong = await login(c, caller.email, "not the password")
        unknown = await login(c, f"ghost-{uuid.uuid4().hex[:8]}@example.com", "not the password")
    assert len(checked) == 2  # one Argon2 check each, the unknown email included
    stored = await _stored_hash(app, caller.email)
    assert checked[0] == stored
    assert checked[1] != stored
    assert extract_parameters(checked[1]) == extract_parameters(stored)
    assert (wrong.status_code, wrong.json()) == (unknown.status_code, unknown.json())
    assert dict(wrong.headers).keys() == dict(unknown.headers).keys()


async def _stored_hash(app, email: str) -> str:
    from herald_db.repositories import users as users_repo

    async with app.state.sessionmaker() as s:
        user = await users_repo.get_by_email(s, email)
        assert user is not None
        return user.password_hash
