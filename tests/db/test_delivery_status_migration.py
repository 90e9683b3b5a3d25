"""Webhook delivery statuses become an enum: existing rows survive both ways, others are
refused once it is in place."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from alembic.script import ScriptDirectory

from herald_db.migrate import alembic_config, downgrade, upgrade
from herald_db.session import sync_url
from tests.conftest import create_database, drop_database

REVISION = "3f6a0c9d2e51"  # webhook delivery status is an enum

SEED = """
INSERT INTO users (id, email, password_hash, timezone)
VALUES ('00000000-0000-0000-0000-000000000001', 'a@example.com', 'x', 'UTC');
INSERT INTO webhook_endpoints (id, user_id, url, secret, event_types, is_active, description)
VALUES ('00000000-0000-0000-0000-000000000002', '00000000-0000-0000-0000-000000000001',
        'https://hooks.example.com/h', 'x', '{}', true, '');
INSERT INTO webhook_deliveries (id, endpoint_id, message_id, event_type, payload, status, attempts)
SELECT gen_random_uuid(), '00000000-0000-0000-0000-000000000002', m, 'post.failed', '{}', s, 0
FROM (VALUES ('m1', 'PENDING'), ('m2', 'DELIVERED'), ('m3', 'FAILED')) AS v(m, s);
"""


def _run(url: str, sql: str) -> list[asyncpg.Record]:
    async def go() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(sync_url(url))
        try:
            if sql.lstrip().upper().startswith("SELECT"):
                return list(await conn.fetch(sql))
            await conn.execute(sql)
            return []
        finally:
            await conn.close()

    return asyncio.run(go())


def _statuses(url: str) -> list[str]:
    rows = _run(url, "SELECT status FROM webhook_deliveries ORDER BY message_id")
    return [r["status"] for r in rows]


def test_delivery_status_enum_keeps_rows_up_and_down(servers):
    pg, _ = servers
    name = f"herald_mig_{uuid.uuid4().hex[:8]}"
    url = create_database(pg.url, name)
    before = ScriptDirectory.from_config(alembic_config(url)).get_revision(REVISION).down_revision
    assert isinstance(before, str)
    try:
        upgrade(url, before)
        _run(url, SEED)
        upgrade(url, REVISION)
        assert _statuses(url) == ["PENDING", "DELIVERED", "FAILED"]
        with pytest.raises(asyncpg.CheckViolationError):
            _run(url, "UPDATE webhook_deliveries SET status = 'LOST' WHERE message_id = 'm1'")
        downgrade(url, before)
        assert _statuses(url) == ["PENDING", "DELIVERED", "FAILED"]
        # The wake-up trigger came back with the column: a due delivery still notifies.
        triggers = _run(
            url,
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'webhook_deliveries'::regclass "
            "AND NOT tgisinternal",
        )
        assert [t["tgname"] for t in triggers] == ["deliveries_wake_scheduler"]
        upgrade(url)
        assert _statuses(url) == ["PENDING", "DELIVERED", "FAILED"]
    finally:
        drop_database(pg.url, name)
