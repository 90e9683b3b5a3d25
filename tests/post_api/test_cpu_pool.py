"""The CPU pool runs at most its size at once: a burst of Argon2 hashes queues for a slot."""

from __future__ import annotations

import asyncio
import threading
import time

from herald_post_api.auth.security import hash_password, verify_password
from herald_post_api.cpu import CpuPool


async def _until(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def test_no_more_than_size_run_at_once():
    pool = CpuPool(2)
    inside = 0
    most = 0
    lock = threading.Lock()
    release = threading.Event()

    def work() -> None:
        nonlocal inside, most
        with lock:
            inside += 1
            most = max(most, inside)
        release.wait(10)
        with lock:
            inside -= 1

    try:
        tasks = [asyncio.create_task(pool.run(work)) for _ in range(6)]
        await _until(lambda: inside == 2)
        # The other four wait for a slot; none has started.
        await asyncio.sleep(0)
        assert inside == 2
        release.set()
        await asyncio.gather(*tasks)
        assert most == 2
    finally:
        release.set()
        pool.close()


async def test_a_burst_of_hashes_all_answer_through_one_slot():
    pool = CpuPool(1)
    try:
        hashes = await asyncio.gather(*(hash_password(pool, f"secret {i}") for i in range(4)))
        checks = await asyncio.gather(
            *(verify_password(pool, h, f"secret {i}") for i, h in enumerate(hashes))
        )
        assert checks == [True] * 4
        assert not await verify_password(pool, hashes[0], "secret 1")
    finally:
        pool.close()
