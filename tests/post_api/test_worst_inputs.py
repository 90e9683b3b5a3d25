"""The worst inputs we know, at the largest size the API takes, sent at once from several
connections: each is refused (413/422, or a batch with every row refused) and meanwhile
another user's calls all succeed. How fast those calls stay is measured by ``make bench
BENCH_ARGS=worst``, not here."""

from __future__ import annotations

from herald_bench.worst import requests, scenario
from tests.post_api.live import LiveApi


async def test_worst_inputs_are_refused_while_another_user_is_served(live_api: LiveApi):
    tally, seen = await scenario(live_api.base_url, rounds=1, connections=3)

    assert tally.wrong == []
    assert tally.sent == len(requests())
    assert {name for name, _ in tally.statuses} == {bad.name for bad in requests()}
    assert seen.failures == []
    assert seen.latencies, "the other user made no call while the worst inputs were sent"
