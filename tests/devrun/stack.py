"""``make run`` as a test runs it: ``python -m herald_devrun`` on free ports, against a fresh
database of its own, with its output collected line by line."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from herald_devrun.ports import port_free

ROOT = Path(__file__).resolve().parents[2]
PORT_ENVS = (
    "HERALD_SIM_PORT",
    "HERALD_API_PORT",
    "HERALD_SCHEDULER_PORT",
    "HERALD_PUBLISHER_PORT",
    "HERALD_ANALYTICS_PORT",
)
READY = "running; Ctrl-C stops everything"
STARTED = re.compile(r"starting (\S+) \(pid (\d+), port (\d+)\)")


def free_ports(n: int) -> list[int]:
    """``n`` distinct ports nothing listens on now."""
    sockets = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [int(s.getsockname()[1]) for s in sockets]
    finally:
        for s in sockets:
            s.close()


def stack_env(database_url: str, redis_url: str, data_dir: Path) -> dict[str, str]:
    """What a test's ``make run`` gets: its own database, queue, Redis keys, data folder and
    ports; everything else as ``make run`` sets it."""
    tag = f"herald-devrun-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ)
    for name in list(env):
        if name.startswith("HERALD_"):
            del env[name]
    env.update(
        {
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "HERALD_DATA_DIR": str(data_dir),
            "HERALD_QUEUE_NAME": tag,
            "HERALD_REDIS_PREFIX": tag,
            "HERALD_LOG_LEVEL": "WARNING",
        }
    )
    env.update(zip(PORT_ENVS, map(str, free_ports(len(PORT_ENVS))), strict=True))
    return env


@dataclass
class Run:
    """One ``python -m herald_devrun`` and what it printed."""

    proc: subprocess.Popen[str]
    env: dict[str, str]
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.env['HERALD_API_PORT']}"

    @property
    def sim_url(self) -> str:
        return f"http://127.0.0.1:{self.env['HERALD_SIM_PORT']}"

    @property
    def analytics_url(self) -> str:
        return f"http://127.0.0.1:{self.env['HERALD_ANALYTICS_PORT']}"

    def output(self) -> str:
        return "".join(self.lines)

    def finish(self, seconds: float = 60) -> int:
        """Wait for the run to end and for the last of its output; the exit code."""
        code = self.proc.wait(seconds)
        if self.reader is not None:
            self.reader.join(10)
        return code

    def started(self) -> dict[str, tuple[int, int]]:
        """Service name -> (pid, port), as the run announced them."""
        out = {}
        for line in list(self.lines):
            m = STARTED.search(line)
            if m:
                out[m.group(1)] = (int(m.group(2)), int(m.group(3)))
        return out

    def wait_for(self, text: str, seconds: float = 120) -> None:
        deadline = time.monotonic() + seconds
        while not any(text in line for line in list(self.lines)):
            if self.proc.poll() is not None:
                time.sleep(0.2)  # the last lines
                raise AssertionError(
                    f"make run exited ({self.proc.returncode}) before {text!r}:\n{self.output()}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} within {seconds} s:\n{self.output()}")
            time.sleep(0.1)

    def stop(self) -> int:
        """SIGTERM, as Ctrl-C would; the exit code. Anything left is killed."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.kill_leftovers()
        if self.reader is not None:
            self.reader.join(10)
        return self.proc.returncode

    def kill_leftovers(self) -> None:
        for pid, _ in self.started().values():
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def start(env: dict[str, str], *args: str, command: list[str] | None = None) -> Run:
    """``python -m herald_devrun ARGS``, or ``command`` (``make run``) started the same way."""
    proc = subprocess.Popen(
        command or [sys.executable, "-m", "herald_devrun", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    run = Run(proc, env)

    def collect() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            run.lines.append(line)

    run.reader = threading.Thread(target=collect, daemon=True)
    run.reader.start()
    return run


@contextmanager
def running(env: dict[str, str]) -> Iterator[Run]:
    """A ``make run`` that is up (banner printed), stopped at the end."""
    run = start(env)
    try:
        run.wait_for(READY)
        yield run
    finally:
        run.stop()


def ports_free(ports: list[int], seconds: float) -> list[int]:
    """Wait up to ``seconds`` for every port to be free; the ones still taken."""
    deadline = time.monotonic() + seconds
    while True:
        taken = [p for p in ports if not port_free("127.0.0.1", p)]
        if not taken or time.monotonic() > deadline:
            return taken
        time.sleep(0.1)


def wait_for_line(run: Run, text: str, seconds: float) -> bool:
    """Whether ``text`` shows in the run's output within ``seconds``."""
    deadline = time.monotonic() + seconds
    while not any(text in line for line in list(run.lines)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True
