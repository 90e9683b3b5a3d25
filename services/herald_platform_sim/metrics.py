"""How a post's numbers grow: one curve on the simulator's clock, fixed for a seed and an id.

Each platform module turns these counts into its own answer shape (X public_metrics, Graph
insights, LinkedIn socialActions and memberCreatorPostAnalytics).
"""

from __future__ import annotations

import math

from herald_platform_sim.state import SimState, stable_int

ZERO = {"likes": 0, "shares": 0, "comments": 0, "impressions": 0}


def counts(st: SimState, external_id: str) -> dict[str, int]:
    """Likes, shares, comments and impressions of a post now, growing with its age on a
    saturating curve (most of it in the first day)."""
    pub = st.by_external.get(external_id)
    if pub is None:
        return dict(ZERO)
    age_h = max(0.0, (st.now() - pub.received_at) / 3600)
    reach = 200 + stable_int(st.seed, external_id, "reach") % 20000
    curve = 1 - math.exp(-age_h / 12)
    impressions = int(reach * curve)
    rate = 0.01 + (stable_int(st.seed, external_id, "rate") % 900) / 10000
    likes = int(impressions * rate)
    return {
        "likes": likes,
        "shares": int(likes * 0.12),
        "comments": int(likes * 0.08),
        "impressions": impressions,
    }
