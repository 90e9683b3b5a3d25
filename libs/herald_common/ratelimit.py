"""Per-account publishing limits shared by every worker, kept in Redis.

A sliding-window log: each publish takes a slot stamped with its time; a slot is free again
when its stamp leaves the window. ``acquire`` either takes a slot or says how long until
one frees up, so a post over the limit waits for the window instead of failing.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

_ACQUIRE = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local member = ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local used = redis.call('ZCARD', key)
if used < limit then
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, math.ceil(window * 1000))
  return {1, 0}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
local wait = tonumber(oldest[2]) + window - now
return {0, tostring(wait)}
"""


class RateLimiter:
    def __init__(self, redis: Redis, prefix: str = "herald") -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_ACQUIRE)

    def key(self, platform: str, account_id: str) -> str:
        return f"{self._prefix}:rl:{platform.lower()}:{account_id}"

    async def acquire(
        self, platform: str, account_id: str, *, limit: int, window: float, now: float
    ) -> float:
        """Take a slot; returns 0.0 on success, else the seconds until a slot frees."""
        ok, wait = await self._script(
            keys=[self.key(platform, account_id)],
            args=[now, window, limit, f"{now}:{uuid.uuid4().hex}"],
        )
        return 0.0 if int(ok) == 1 else max(float(wait), 0.001)
