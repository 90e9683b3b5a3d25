"""The OpenAPI document is the truth: schemathesis runs every check against the live API.

A real uvicorn on a free port, with a fresh database of its own, the platform simulator
behind it and a registered user's bearer token; every phase (examples, coverage, fuzzing
and the stateful phase, which follows the document's links to create posts and webhooks
and then use them), every check, a fixed seed and a bounded number of examples per
operation. What the API cannot make itself (a notification, a connected account, a calendar
feed's token) is made first and handed over through the config file's parameters. ``make
fuzz`` runs the same with more examples; schemathesis's own progress goes to stdout as it
runs (seen with ``-s``).
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import httpx

from herald_common.crypto import SecretBox
from herald_db.enums import Platform
from herald_db.migrate import upgrade
from herald_db.models import Notification
from herald_db.session import make_engine, make_sessionmaker
from herald_devrun.infra import Server
from herald_platform_sim.testing import SimClient
from herald_post_api.settings import PostApiSettings
from tests.conftest import ROOT, create_database, drop_database
from tests.factories import connect_account
from tests.post_api.conftest import api_env
from tests.post_api.live import run_api

CONFIG = ROOT / "tests" / "contract" / "schemathesis.toml"
SEED = int(os.environ.get("HERALD_CONTRACT_SEED", "8"))
EXAMPLES = int(os.environ.get("HERALD_CONTRACT_EXAMPLES", "5"))
PASSWORD = "contract test passphrase"


async def _prepare(base_url: str, database_url: str, box: SecretBox) -> dict[str, str]:
    """A user with every platform connected, a notification and a calendar feed: its token
    and the ids the run cannot make itself, as the environment the config file reads."""
    email = f"contract-{uuid.uuid4().hex[:12]}@example.com"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
        r = await http.post("/v1/auth/register", json={"email": email, "password": PASSWORD})
        assert r.status_code == 201, r.text
        user_id = uuid.UUID(r.json()["id"])
        t = await http.post("/v1/auth/token", data={"username": email, "password": PASSWORD})
        assert t.status_code == 200, t.text
        token = str(t.json()["access_token"])
        feed = await http.post("/v1/calendar/feed", headers={"Authorization": f"Bearer {token}"})
        assert feed.status_code == 201, feed.text
    engine = make_engine(database_url)
    try:
        sessionmaker = make_sessionmaker(engine)
        account_id = await connect_account(sessionmaker, box, user_id, Platform.LINKEDIN)
        for platform in Platform:
            if platform is not Platform.LINKEDIN:
                await connect_account(sessionmaker, box, user_id, platform)
        async with sessionmaker() as session:
            note = Notification(
                user_id=user_id, kind="post.failed", title="A post failed", body="On X.", data={}
            )
            session.add(note)
            await session.commit()
            notification_id = note.id
    finally:
        await engine.dispose()
    return {
        "HERALD_CONTRACT_TOKEN": token,
        "HERALD_CONTRACT_ACCOUNT_ID": str(account_id),
        "HERALD_CONTRACT_NOTIFICATION_ID": str(notification_id),
        "HERALD_CONTRACT_CALENDAR_TOKEN": feed.json()["url"].rsplit("/", 1)[1].removesuffix(".ics"),
    }


async def _schemathesis(base_url: str, env: dict[str, str], reports: Path) -> tuple[int, str]:
    st = Path(sys.executable).with_name("st")
    args = [
        str(st),
        "--config-file",
        str(CONFIG),
        "run",
        f"{base_url}/openapi.json",
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--seed",
        str(SEED),
        "--max-examples",
        str(EXAMPLES),
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {env['HERALD_CONTRACT_TOKEN']}",
        "--report",
        "junit,json",
        "--report-dir",
        str(reports),
        "--no-color",
    ]
    proc = await asyncio.create_subprocess_exec(
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, **env},
        cwd=reports.parent,  # schemathesis keeps its example database in the working directory
    )
    assert proc.stdout is not None
    lines = []
    async for raw in proc.stdout:
        line = raw.decode(errors="replace")
        lines.append(line)
        print(line, end="", flush=True)
    return await proc.wait(), "".join(lines)


async def test_the_live_api_keeps_its_openapi_contract(
    settings: PostApiSettings, sim: SimClient, servers: tuple[Server, Server], tmp_path: Path
):
    pg_server = servers[0].url
    own = f"herald_contract_{uuid.uuid4().hex[:10]}"
    url = await asyncio.to_thread(create_database, pg_server, own)
    try:
        await asyncio.to_thread(upgrade, url)
        env = api_env(settings, sim)
        env.update(
            {
                "DATABASE_URL": url,
                "HERALD_REDIS_PREFIX": f"{settings.redis_prefix}-contract",
                # Generated logins may all come from one address: the throttle is not
                # under test here (it has its own), the contract is.
                "HERALD_LOGIN_ATTEMPTS_PER_ACCOUNT": "100000",
                "HERALD_LOGIN_ATTEMPTS_PER_ADDRESS": "100000",
            }
        )
        async with run_api(env, tmp_path / "api.log") as api:
            made = await _prepare(api.base_url, url, SecretBox(settings.encryption_keys))
            code, output = await _schemathesis(api.base_url, made, tmp_path / "reports")
        assert code == 0, output[-8000:]
    finally:
        await asyncio.to_thread(drop_database, pg_server, own)
