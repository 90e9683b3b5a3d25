"""Run a module so that it ends with its parent:
``python -m herald_devrun.child [--grace SECONDS] MODULE ARGS``.

``make run`` starts each service through this module, and the Makefile starts
``herald_devrun`` itself through it. Before the module's own code runs, it arranges that the
process is sent SIGTERM when its parent dies, however the parent ends (Ctrl-C, a closed
terminal, ``kill -9``, a CI timeout): on Linux with the kernel's parent-death signal
(``prctl(PR_SET_PDEATHSIG)``), and everywhere with a thread that watches the parent's pid.
A process that has not stopped ``--grace`` seconds (default 10) after its parent died exits
at once. Then the module runs as ``python -m MODULE`` would.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import runpy
import signal
import sys
import threading
import time

PARENT_ENV = "HERALD_DEVRUN_PARENT"
PR_SET_PDEATHSIG = 1
POLL_SECONDS = 0.5
GRACE_SECONDS = 10.0


def _parent_death_signal() -> bool:
    """Ask Linux to send SIGTERM when the parent dies; False where that is not available."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return int(libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int, grace: float) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(grace)
    os._exit(1)


def stop_with_parent(parent: int, grace: float = GRACE_SECONDS) -> None:
    """End this process when ``parent`` (the process that started it) ends."""
    _parent_death_signal()
    # The watch also covers a parent that died before the signal was asked for, and
    # platforms without one; it polls twice a second, which costs nothing.
    watch = threading.Thread(target=_watch, args=(parent, grace), name="parent-watch")
    watch.daemon = True
    watch.start()


def main() -> None:
    argv = sys.argv[1:]
    grace = GRACE_SECONDS
    if argv[:1] == ["--grace"] and len(argv) > 1:
        grace, argv = float(argv[1]), argv[2:]
    if not argv:
        raise SystemExit("usage: python -m herald_devrun.child [--grace SECONDS] MODULE [ARGS]")
    parent = int(os.environ.pop(PARENT_ENV, "0") or 0) or os.getppid()
    stop_with_parent(parent, grace)
    module, *args = argv
    sys.argv = [module, *args]
    runpy.run_module(module, run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
