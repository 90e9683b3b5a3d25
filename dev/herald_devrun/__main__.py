"""``make run``: Postgres and Redis (found or embedded), migrations, then every service.

Starts the platform simulator, the post API, the scheduler, the publisher and the analytics
service as child processes, prints where the API and its docs are and what to do next, and
stops everything it started on Ctrl-C, SIGTERM or SIGHUP. The services also end when this
process is killed outright (``herald_devrun.child``). A port already in use is reported, with
the setting that moves it, before anything starts.

``HERALD_DATA_DIR`` (default ``.data``) holds the install's secrets and the embedded servers'
data.
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

from herald_devrun import child, secrets_file
from herald_devrun.infra import Server, resolve_postgres, resolve_redis, with_database
from herald_devrun.ports import port_free

ROOT = Path(__file__).resolve().parents[2]
# Where `make demo` looks unless told otherwise (the addresses of a `make run` on its defaults).
DEMO_DEFAULTS = {
    "HERALD_URL": "http://127.0.0.1:8000",
    "HERALD_SIM_URL": "http://127.0.0.1:8100",
    "HERALD_ANALYTICS_URL": "http://127.0.0.1:8003",
}


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


def plan(env: dict[str, str]) -> list[Service]:
    """Every service ``make run`` starts, on the ports the environment gives."""

    def port(name: str, default: int) -> int:
        return int(env.get(name, str(default)))

    return [
        Service(
            "platform-sim", "herald_platform_sim", port("HERALD_SIM_PORT", 8100), "HERALD_SIM_PORT"
        ),
        Service("post-api", "herald_post_api", port("HERALD_API_PORT", 8000), "HERALD_API_PORT"),
        Service(
            "scheduler",
            "herald_scheduler",
            port("HERALD_SCHEDULER_PORT", 8001),
            "HERALD_SCHEDULER_PORT",
        ),
        Service(
            "publisher",
            "herald_publisher",
            port("HERALD_PUBLISHER_PORT", 8002),
            "HERALD_PUBLISHER_PORT",
        ),
        Service(
            "analytics",
            "herald_analytics",
            port("HERALD_ANALYTICS_PORT", 8003),
            "HERALD_ANALYTICS_PORT",
        ),
    ]


def host_of(svc: Service, env: dict[str, str]) -> str:
    name = svc.port_env.replace("_PORT", "_HOST")
    return "127.0.0.1" if svc.name == "platform-sim" else env.get(name, "127.0.0.1")


def ports_taken(services: list[Service], env: dict[str, str]) -> list[Service]:
    """The services whose port something else already listens on."""
    return [s for s in services if not port_free(host_of(s, env), s.port)]


def report_taken(taken: list[Service], env: dict[str, str]) -> None:
    for svc in taken:
        say(
            f"port {svc.port} on {host_of(svc, env)} is already in use; {svc.name} needs it "
            f"({svc.port_env})."
        )
    first = taken[0]
    say(
        "Nothing was started. Stop what listens there (an earlier `make run` still running? "
        f"`lsof -i :{first.port}` or `ss -ltnp 'sport = :{first.port}'` shows it), or choose "
        f"another port, e.g. `{first.port_env}={first.port + 10} make run`."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="herald_devrun", description=__doc__)
    parser.add_argument("--embedded", action="store_true", help="use embedded Postgres and Redis")
    args = parser.parse_args(argv)

    env = dict(os.environ)
    services = plan(env)
    use_sim = env.get("HERALD_USE_SIMULATOR", "1") not in ("0", "false", "no")
    use_sim = use_sim and _has("herald_platform_sim.urls")
    if not use_sim:
        services = [s for s in services if s.name != "platform-sim"]
    services = [s for s in services if _has(f"{s.module}.__main__")]
    # Before anything starts: a port in use would otherwise surface as one service exiting.
    taken = ports_taken(services, env)
    if taken:
        report_taken(taken, env)
        return 2

    data = Path(env.get("HERALD_DATA_DIR") or ROOT / ".data")
    data.mkdir(parents=True, exist_ok=True)
    say("looking for Postgres and Redis ...")
    pg = resolve_postgres(data, embedded=args.embedded)
    rd = resolve_redis(data, embedded=args.embedded)
    say(f"Postgres: {pg.source} ({_safe(pg.url)})")
    say(f"Redis:    {rd.source} ({_safe(rd.url)})")
    children: list[tuple[Service, subprocess.Popen[bytes]]] = []
    try:
        db_url = ensure_database(pg)
        migrate(db_url)
        host = env.get("HERALD_API_HOST", "127.0.0.1")
        api = next(s for s in services if s.name == "post-api")
        api_url = f"http://{host}:{api.port}"
        sim_base = f"http://127.0.0.1:{services[0].port}" if use_sim else ""
        env.update({"DATABASE_URL": db_url, "REDIS_URL": rd.url, "PYTHONUNBUFFERED": "1"})
        env.setdefault("HERALD_ENVIRONMENT", "dev")
        # Text lines for a terminal; deployments log JSON (the default).
        env.setdefault("HERALD_LOG_FORMAT", "text")
        # The platforms send the browser back to the API itself (its GET callback shows the
        # code and state to post), wherever it listens.
        env.setdefault("HERALD_OAUTH_REDIRECT_BASE", api_url)
        secrets_path, install_secrets, made = secrets_file.ensure(data)
        for name, value in install_secrets.items():
            env.setdefault(name, value)
        say(f"secrets: {_shown(secrets_path)} ({'generated now' if made else 'kept'})")
        if use_sim:
            from herald_platform_sim.urls import platform_env

            for key, value in platform_env(sim_base).items():
                env.setdefault(key, value)
        for svc in services:
            svc_env = dict(env)
            svc_env[svc.port_env] = str(svc.port)
            svc_env[child.PARENT_ENV] = str(os.getpid())
            cmd = [sys.executable, "-m", "herald_devrun.child", svc.module]
            if svc.name == "platform-sim":
                cmd += ["--host", "127.0.0.1", "--port", str(svc.port)]
            # A session of its own, so Ctrl-C reaches only this process, which then stops
            # the services in order; herald_devrun.child ends each with this process.
            proc = subprocess.Popen(cmd, env=svc_env, cwd=ROOT, start_new_session=True)
            children.append((svc, proc))
            say(f"starting {svc.name} (pid {proc.pid}, port {svc.port})")
        for svc, proc in children:
            if not wait_ready(f"http://127.0.0.1:{svc.port}/healthz", proc):
                say(f"{svc.name} did not come up; stopping")
                return 1
        say(f"API:      {api_url}/v1")
        say(f"API docs: {api_url}/docs (OpenAPI: /openapi.json)")
        say(f"Health:   {api_url}/readyz")
        if use_sim:
            say(f"Platform simulator: {sim_base} (admin: {sim_base}/_sim/...)")
        say("running; Ctrl-C stops everything")
        for line in next_steps(services):
            say(line)
        return _supervise(children)
    finally:
        _stop_children(children)
        pg.stop()
        rd.stop()
        say("stopped")


def next_steps(services: list[Service]) -> list[str]:
    """The banner's last lines: the quick start's first command, and the demo."""
    ports = {s.name: s.port for s in services}
    api_url = f"http://127.0.0.1:{ports['post-api']}"
    lines = [
        "next, in another terminal: the quick start in README.md, which begins with",
        f"    export HERALD_URL={api_url}",
    ]
    if _has("herald_demo") and "platform-sim" in ports:
        given = {
            "HERALD_URL": api_url,
            "HERALD_SIM_URL": f"http://127.0.0.1:{ports['platform-sim']}",
            "HERALD_ANALYTICS_URL": f"http://127.0.0.1:{ports['analytics']}",
        }
        shown = " ".join(f"{k}={v}" for k, v in given.items() if v != DEMO_DEFAULTS[k])
        lines.append(f"  or see it all at once: {shown + ' ' if shown else ''}make demo")
    return lines


def _supervise(children: list[tuple[Service, subprocess.Popen[bytes]]]) -> int:
    stop = {"flag": False}

    def handler(signum: int, frame: object) -> None:
        stop["flag"] = True

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    if hasattr(signal, "SIGHUP"):  # a closed terminal
        signal.signal(signal.SIGHUP, handler)
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


def _shown(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


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
