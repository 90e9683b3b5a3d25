"""The ranking of best-times slots, on the formula alone (no database)."""

from __future__ import annotations

import pytest

from herald_db.repositories.analytics import Bucket
from herald_post_api.analytics.besttimes import best_times


@pytest.mark.parametrize("rates", [[0.1] * 3, [0.07] * 3, [0.03, 0.07, 0.05], [0.013] * 7])
def test_a_slot_at_its_prior_outranks_the_empty_ones(rates):
    """All of a user's posts in one slot: every slot's rate is the user's own, and the slot
    with the posts comes first (float rounding must not put an empty slot above it)."""
    slot = 100
    result = best_times({slot: Bucket(posts=len(rates), users=1, rate_sum=sum(rates))}, {})
    assert result.top[0].hour_of_week == slot
    assert [s.hour_of_week for s in result.top[1:]] == [0, 1]
    assert result.slots[slot].rate == pytest.approx(result.slots[0].rate)
