"""Best times to post: 168 local hour-of-week slots, each slot's mean engagement rate pulled
towards a prior in proportion to how little data the slot has.

For a user u, a platform and a slot h (local weekday x hour of publication):

- ``n_h`` posts of u published in h that have figures, ``r_h`` the mean of their engagement
  rates ``(likes + shares + comments) / impressions`` (each post's latest snapshot);
- ``N`` all of u's posts with figures on the platform, ``m_u`` the mean of their rates;
- ``G`` the platform's mean rate across all users and ``g_h`` its mean in slot h (each
  user's posts in the user's own zone), ``g_h`` shrunk towards ``G`` like any thin slot;
  a slot (and ``G``) is used only when it holds posts of at least ``MIN_USERS`` users,
  so no one's own figures can be read back from it;
- the prior of the slot ``p_h = w * m_u + (1 - w) * g_h`` with ``w = N / (N + K_USER)``:
  the user's own rate once they have many posts, the platform's pattern while they have
  few (``p_h = m_u`` when the platform has no usable pattern, ``g_h`` when u has no data);
- the slot's rate ``θ_h = (n_h * r_h + K_SLOT * p_h) / (n_h + K_SLOT)``, and its
  confidence ``n_h / (n_h + K_SLOT)``, the share of the estimate that is the slot's own.

The top three slots are those with the highest ``θ_h`` (ties: more posts, then earlier).
"""

from __future__ import annotations

from dataclasses import dataclass

from herald_db.repositories.analytics import Bucket

K_SLOT = 5.0
K_USER = 20.0
MIN_USERS = 5
SLOTS = 168
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True, slots=True)
class Slot:
    hour_of_week: int
    posts: int
    mean_rate: float | None
    rate: float
    confidence: float

    @property
    def weekday(self) -> int:
        return self.hour_of_week // 24

    @property
    def hour(self) -> int:
        return self.hour_of_week % 24


@dataclass(frozen=True, slots=True)
class BestTimes:
    slots: list[Slot]
    top: list[Slot]
    posts: int
    user_rate: float | None
    user_weight: float
    uses_platform_pattern: bool


def platform_slots(pattern: dict[int, Bucket]) -> tuple[float | None, dict[int, float]]:
    """``G`` and each usable ``g_h`` of the platform's pattern (shrunk towards ``G``)."""
    overall = pattern.get(-1)
    if overall is None or overall.users < MIN_USERS or overall.posts == 0:
        return None, {}
    g = overall.rate_sum / overall.posts
    out: dict[int, float] = {}
    for h in range(SLOTS):
        b = pattern.get(h)
        if b is not None and b.users >= MIN_USERS:
            out[h] = (b.rate_sum + K_SLOT * g) / (b.posts + K_SLOT)
        else:
            out[h] = g
    return g, out


def best_times(user: dict[int, Bucket], pattern: dict[int, Bucket]) -> BestTimes:
    n_total = sum(b.posts for b in user.values())
    m_u = sum(b.rate_sum for b in user.values()) / n_total if n_total else None
    g, g_h = platform_slots(pattern)
    w = n_total / (n_total + K_USER)
    slots: list[Slot] = []
    for h in range(SLOTS):
        if m_u is not None and g is not None:
            prior = w * m_u + (1 - w) * g_h[h]
        elif m_u is not None:
            prior = m_u
        elif g is not None:
            prior = g_h[h]
        else:
            prior = 0.0
        b = user.get(h)
        n = b.posts if b else 0
        s = b.rate_sum if b else 0.0
        slots.append(
            Slot(
                hour_of_week=h,
                posts=n,
                mean_rate=s / n if n else None,
                rate=(s + K_SLOT * prior) / (n + K_SLOT),
                confidence=n / (n + K_SLOT),
            )
        )
    has_data = m_u is not None or g is not None
    # Rates equal but for float rounding tie (a slot at exactly its prior is no better than an
    # empty one), so the slot with more posts wins them.
    ranked = sorted(slots, key=lambda x: (-round(x.rate, 12), -x.posts, x.hour_of_week))
    return BestTimes(
        slots=slots,
        top=ranked[:3] if has_data else [],
        posts=n_total,
        user_rate=m_u,
        user_weight=w if g is not None else (1.0 if m_u is not None else 0.0),
        uses_platform_pattern=g is not None,
    )
