"""``make run``'s services end with it, however it ends, and a port in use is reported before
anything starts."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess

import pytest

from tests.devrun import stack

pytestmark = pytest.mark.slow


def test_services_end_with_a_killed_make_run_and_a_second_one_comes_up(devrun_env):
    first = stack.start(devrun_env)
    try:
        first.wait_for(stack.READY)
        started = first.started()
        assert sorted(started) == [
            "analytics",
            "platform-sim",
            "post-api",
            "publisher",
            "scheduler",
        ]
        ports = [port for _, port in started.values()]
        assert sorted(ports) == sorted(int(devrun_env[name]) for name in stack.PORT_ENVS)
        assert stack.ports_free(ports, seconds=0) == ports  # all listening

        os.kill(first.proc.pid, signal.SIGKILL)  # make run alone, as `kill -9` would
        first.proc.wait(10)

        assert stack.ports_free(ports, seconds=15) == []
    finally:
        first.kill_leftovers()

    with stack.running(devrun_env) as second:
        assert sorted(port for _, port in second.started().values()) == sorted(ports)
        assert "next, in another terminal" in second.output()
    assert second.proc.returncode == 0, second.output()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_killing_make_itself_stops_everything(devrun_env):
    run = stack.start(devrun_env, command=["make", "-s", "run"])
    try:
        run.wait_for(stack.READY)
        ports = [port for _, port in run.started().values()]
        assert len(ports) == 5
        assert stack.ports_free(ports, seconds=0) == ports

        os.kill(run.proc.pid, signal.SIGKILL)  # make, not the python it started
        run.proc.wait(10)

        assert stack.ports_free(ports, seconds=20) == []
        # herald_devrun was told too, and stopped its services itself.
        assert stack.wait_for_line(run, "[herald] stopped", seconds=20), run.output()
    finally:
        run.stop()


def test_a_port_in_use_is_named_before_anything_starts(devrun_env):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        env = dict(devrun_env, HERALD_SCHEDULER_PORT=str(port))
        run = stack.start(env)
        try:
            code = run.finish(60)
        except subprocess.TimeoutExpired:
            run.stop()
            raise
    out = run.output()
    assert code == 2, out
    assert f"port {port} on 127.0.0.1 is already in use; scheduler needs it" in out
    assert f"HERALD_SCHEDULER_PORT={port + 10} make run" in out
    assert run.started() == {}
    assert "looking for Postgres" not in out
