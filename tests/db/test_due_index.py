"""The scheduler's due query uses the partial index on a table of 1,000,000 posts."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import asyncpg
import pytest

from herald_db.migrate import upgrade
from herald_db.repositories.claims import DUE_SELECT
from herald_db.session import sync_url
from tests.conftest import create_database, drop_database

ROWS = 1_000_000
DUE = 100_000


def _plan_nodes(plan: dict) -> list[dict]:
    nodes = [plan]
    for child in plan.get("Plans", []):
        nodes.extend(_plan_nodes(child))
    return nodes


@pytest.mark.slow
def test_due_query_uses_partial_index_on_a_million_posts(servers):
    pg, _ = servers
    name = f"herald_idx_{uuid.uuid4().hex[:8]}"
    url = create_database(pg.url, name)

    async def build_and_explain() -> dict:
        conn = await asyncpg.connect(sync_url(url))
        try:
            uid = uuid.uuid4()
            await conn.execute(
                "INSERT INTO users (id, email, password_hash, timezone) "
                "VALUES ($1, $2, 'x', 'UTC')",
                uid,
                "bulk@example.com",
            )
            # 1,000,000 posts: 100,000 SCHEDULED and due, 100,000 SCHEDULED in the future,
            # the rest already PUBLISHED.
            await conn.execute(
                """
                INSERT INTO posts (id, user_id, content, media_urls, platforms, content_variants,
                                   scheduled_at, status)
                SELECT gen_random_uuid(), $1, 'bulk', '{}', '{TWITTER}', '{}',
                       now() - interval '1 day' + (g % 86400) * interval '2 second',
                       CASE WHEN g <= $2 THEN 'SCHEDULED'
                            WHEN g <= 2 * $2 THEN 'SCHEDULED'
                            ELSE 'PUBLISHED' END
                FROM generate_series(1, $3) AS g
                """,
                uid,
                DUE,
                ROWS,
            )
            await conn.execute(
                "UPDATE posts SET scheduled_at = now() + interval '1 day' "
                "WHERE status = 'SCHEDULED' AND content = 'bulk' AND ctid IN "
                "(SELECT ctid FROM posts WHERE status = 'SCHEDULED' LIMIT $1)",
                DUE,
            )
            await conn.execute("ANALYZE posts")
            count = await conn.fetchval("SELECT count(*) FROM posts")
            assert count == ROWS
            sql = DUE_SELECT.replace(":shift", "$1").replace(":limit", "$2")
            async with conn.transaction():
                raw = await conn.fetchval("EXPLAIN (FORMAT JSON) " + sql, timedelta(), 100)
            return json.loads(raw)[0]["Plan"]
        finally:
            await conn.close()

    try:
        upgrade(url)
        plan = asyncio.run(build_and_explain())
    finally:
        drop_database(pg.url, name)
    nodes = _plan_nodes(plan)
    index_nodes = [n for n in nodes if n.get("Index Name") == "ix_posts_due"]
    assert index_nodes, json.dumps(plan, indent=1)
    assert not any(n["Node Type"] == "Seq Scan" for n in nodes)
