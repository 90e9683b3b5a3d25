"""``make run``: Postgres and Redis (found or embedded), migrations, then every service.

Starts the platform simulator, the post API, the scheduler, the publisher and the analytics
service as child processes, prints where the API and its docs are, and stops everything it
started on Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from herald_devrun import secrets_file
from herald_devrun.infra import Server, resolve_postgres, resolve_redis, with_database

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Service:
    name: str
    module: str
    port: int
    port_env: str


def say(msg: str) -> None:
    print(f"[herald] {msg}", flush=True)


def ensure_database(server: Server, name: str = "herald") -> str:
    """Use the given URL as is; on a local or embedded server use (and create) ``name``."""
    if server.source == "given":
        return server.url
    import asyncpg

    from herald_db.session import sync_url

    async def create() -> None:
        conn = await asyncpg.connect(sync_url(server.url))
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(create())
    return with_database(server.url, name)


def migrate(url: str) -> None:
    from alembic import command

    from herald_db.migrate import alembic_config

    say("migrating the database to the newest schema ...")
    command.upgrade(alembic_config(url), "head")
    say("migrations done")


def wait_ready(url: str, proc: subprocess.Popen[bytes], limit: float = 60.0) -> bool:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="herald_devrun", description=__doc__)
    parser.add_argument("--embedded", action="store_true", help="use embedded Postgres and Redis")
    args = parser.parse_args(argv)

    data = ROOT / ".data"
    data.mkdir(exist_ok=True)
    say("looking for Postgres and Redis ...")
    pg = resolve_postgres(data, embedded=args.embedded)
    rd = resolve_redis(data, embedded=args.embedded)
    say(f"Postgres: {pg.source} ({_safe(pg.url)})")
    say(f"Redis:    {rd.source} ({_safe(rd.url)})")
    children: list[tuple[Service, subprocess.Popen[bytes]]] = []
    try:
        db_url = ensure_database(pg)
        migrate(db_url)
        host = os.environ.get("HERALD_API_HOST", "127.0.0.1")
        sim_port = int(os.environ.get("HERALD_SIM_PORT", "8100"))
        sim_base = f"http://127.0.0.1:{sim_port}"
        env = dict(os.environ)
        env.update({"DATABASE_URL": db_url, "REDIS_URL": rd.url, "PYTHONUNBUFFERED": "1"})
        env.setdefault("HERALD_ENVIRONMENT", "dev")
        secrets_path, install_secrets, made = secrets_file.ensure(data)
        for name, value in install_secrets.items():
            env.setdefault(name, value)
        say(f"secrets: {secrets_path.relative_to(ROOT)} ({'generated now' if made else 'kept'})")
        services = [
            Service("platform-sim", "herald_platform_sim", sim_port, "HERALD_SIM_PORT"),
            Service(
                "post-api",
                "herald_post_api",
                int(env.get("HERALD_API_PORT", "8000")),
                "HERALD_API_PORT",
            ),
            Service(
                "scheduler",
                "herald_scheduler",
                int(env.get("HERALD_SCHEDULER_PORT", "8001")),
                "HERALD_SCHEDULER_PORT",
            ),
            Service(
                "publisher",
                "herald_publisher",
                int(env.get("HERALD_PUBLISHER_PORT", "8002")),
                "HERALD_PUBLISHER_PORT",
            ),
            Service(
                "analytics",
                "herald_analytics",
                int(env.get("HERALD_ANALYTICS_PORT", "8003")),
                "HERALD_ANALYTICS_PORT",
            ),
        ]
        use_sim = os.environ.get("HERALD_USE_SIMULATOR", "1") not in ("0", "false", "no")
        use_sim = use_sim and _has("herald_platform_sim.urls")
        if use_sim:
            from herald_platform_sim.urls import platform_env

            for key, value in platform_env(sim_base).items():
                env.setdefault(key, value)
        else:
            services = [s for s in services if s.name != "platform-sim"]
        for svc in services:
            if not _has(f"{svc.module}.__main__"):
                continue
            svc_env = dict(env)
            svc_env[svc.port_env] = str(svc.port)
            cmd = [sys.executable, "-m", svc.module]
            if svc.name == "platform-sim":
                cmd += ["--host", "127.0.0.1", "--port", str(svc.port)]
            proc = subprocess.Popen(cmd, env=svc_env, cwd=ROOT, start_new_session=True)
            children.append((svc, proc))
            say(f"starting {svc.name} (pid {proc.pid}, port {svc.port})")
        for svc, proc in children:
            if not wait_ready(f"http://127.0.0.1:{svc.port}/healthz", proc):
                say(f"{svc.name} did not come up; stopping")
                return 1
        api = next(s for s, _ in children if s.name == "post-api")
        say(f"API:      http://{host}:{api.port}/v1")
        say(f"API docs: http://{host}:{api.port}/docs (OpenAPI: /openapi.json)")
        say(f"Health:   http://{host}:{api.port}/readyz")
        if use_sim:
            say(f"Platform simulator: {sim_base} (admin: {sim_base}/_sim/...)")
        say("running; Ctrl-C stops everything")
        return _supervise(children)
    finally:
        _stop_children(children)
        pg.stop()
        rd.stop()
        say("stopped")


def _supervise(children: list[tuple[Service, subprocess.Popen[bytes]]]) -> int:
    stop = {"flag": False}

    def handler(signum: int, frame: object) -> None:
        stop["flag"] = True

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    while not stop["flag"]:
        for svc, proc in children:
            if proc.poll() is not None:
                say(f"{svc.name} exited with code {proc.returncode}; stopping the rest")
                return 1
        time.sleep(0.5)
    return 0


def _stop_children(children: list[tuple[Service, subprocess.Popen[bytes]]]) -> None:
    for _, proc in children:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 10
    for _, proc in children:
        remaining = max(0.1, deadline - time.monotonic())
        try:
            proc.wait(remaining)
        except subprocess.TimeoutExpired:
            proc.kill()


def _has(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def _safe(url: str) -> str:
    """The URL without its password."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        return parts._replace(netloc=netloc).geturl()
    return url


if __name__ == "__main__":
    raise SystemExit(main())
