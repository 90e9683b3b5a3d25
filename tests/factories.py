"""Small factories for tests: users with tokens, connected accounts, posts."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_common.crypto import SecretBox
from herald_db.enums import Platform
from herald_db.models import PublishingAccount

PASSWORD = "correct horse battery staple"


@dataclass
class Caller:
    id: uuid.UUID
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


async def register(client: httpx.AsyncClient, *, timezone: str = "UTC") -> Caller:
    email = f"user-{uuid.uuid4().hex[:12]}@example.com"
    r = await client.post(
        "/v1/auth/register", json={"email": email, "password": PASSWORD, "timezone": timezone}
    )
    assert r.status_code == 201, r.text
    t = await client.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
    assert t.status_code == 200, t.text
    return Caller(id=uuid.UUID(r.json()["id"]), email=email, token=t.json()["access_token"])


async def connect_account(
    sessionmaker: async_sessionmaker[AsyncSession],
    box: SecretBox,
    user_id: uuid.UUID,
    platform: Platform,
    *,
    external_id: str | None = None,
    credentials: dict[str, Any] | None = None,
) -> uuid.UUID:
    creds = credentials or {"access_token": f"tok-{uuid.uuid4().hex}", "refresh_token": None}
    async with sessionmaker() as session:
        account = PublishingAccount(
            user_id=user_id,
            platform=platform,
            external_account_id=external_id or uuid.uuid4().hex[:12],
            display_name=f"{platform.value.lower()} account",
            credentials=box.encrypt_json(creds),
        )
        session.add(account)
        await session.commit()
        return account.id


async def connect_all(
    sessionmaker: async_sessionmaker[AsyncSession], box: SecretBox, user_id: uuid.UUID
) -> None:
    for platform in Platform:
        await connect_account(sessionmaker, box, user_id, platform)


def in_future(minutes: int = 60) -> str:
    return (datetime.now(UTC) + timedelta(minutes=minutes)).isoformat()


async def create_post(client: httpx.AsyncClient, caller: Caller, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"content": "Hello", "platforms": ["TWITTER"]}
    body.update(fields)
    r = await client.post("/v1/posts", json=body, headers=caller.headers)
    assert r.status_code == 201, r.text
    data: dict[str, Any] = r.json()
    return data


async def authorize(
    client: httpx.AsyncClient, caller: Caller, platform: str, login: str = "default"
) -> httpx.URL:
    """Start connecting as ``caller`` and approve on the platform: where it sends the browser."""
    start = await client.get(f"/v1/accounts/{platform}/connect", headers=caller.headers)
    assert start.status_code == 200, start.text
    url = start.json()["authorize_url"] + f"&login_hint={login}"
    async with httpx.AsyncClient() as browser:
        redirect = await browser.get(url, follow_redirects=False)
    assert redirect.status_code == 302, redirect.text
    return httpx.URL(redirect.headers["location"])


async def finish(
    client: httpx.AsyncClient, caller: Caller | None, location: httpx.URL
) -> httpx.Response:
    """What a frontend does with the platform's redirect: post code and state, as ``caller``."""
    body = {k: location.params[k] for k in ("code", "state", "error") if k in location.params}
    headers = caller.headers if caller is not None else {}
    return await client.post(location.path, json=body, headers=headers)


async def connect_via_oauth(
    client: httpx.AsyncClient, caller: Caller, platform: str, login: str = "default"
) -> dict[str, Any]:
    """The whole connect flow: authorize URL, the platform's redirect, the finishing post."""
    back = await finish(client, caller, await authorize(client, caller, platform, login))
    assert back.status_code == 200, back.text
    data: dict[str, Any] = back.json()
    return data
