"""A bounded pool for the CPU-heavy parts of requests: Argon2 hashes, long content checks.

The event loop serves every user; work that takes milliseconds of CPU runs here instead, in
at most ``size`` threads at once. A burst of logins then queues for a slot (waiting in the
loop, cancellable) rather than taking every core, and the loop keeps one core to answer
everyone else. Argon2 releases the GIL while it hashes; a long content check does not, so
the pool also keeps such checks off the loop's own thread, where they would stop every
other request until they end.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def default_size() -> int:
    """One thread less than the machine has cores (at least one)."""
    return max(1, (os.cpu_count() or 1) - 1)


class CpuPool:
    def __init__(self, size: int) -> None:
        self.size = size
        self._executor = ThreadPoolExecutor(max_workers=size, thread_name_prefix="herald-cpu")
        self._slots = asyncio.Semaphore(size)

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        async with self._slots:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, lambda: fn(*args, **kwargs))

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
