"""Per-account publishing limits shared by every worker, kept in Redis.

A sliding-window log: each publish takes a slot stamped with its time; a slot is free again
when its stamp leaves the window. ``acquire`` either takes a slot or says how long until
one frees up, so a post over the limit waits for the window instead of failing.
"""

from __future__ import annotations

import uuid

from redis.asyncio import Redis

# One call takes a slot in each of several windows (KEYS[i] with ARGV window, limit,
# member per key), so a job asks Redis once for all its posts.
_ACQUIRE = """
local now = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local window = tonumber(ARGV[3 * i - 1])
  local limit = tonumber(ARGV[3 * i])
  local member = ARGV[3 * i + 1]
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  if redis.call('ZCARD', key) < limit then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, math.ceil(window * 1000))
    out[i] = '0'
  else
    local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
    out[i] = tostring(math.max(tonumber(oldest[2]) + window - now, 0.001))
  end
end
return out
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
        (wait,) = await self.acquire_many([(platform, account_id, limit, window)], now=now)
        return wait

    async def acquire_many(
        self, wanted: list[tuple[str, str, int, float]], *, now: float
    ) -> list[float]:
        """A slot for each (platform, account, limit, window), in order, in one round trip."""
        if not wanted:
            return []
        keys: list[str] = []
        args: list[str | float | int] = [now]
        for platform, account_id, limit, window in wanted:
            keys.append(self.key(platform, account_id))
            args += [window, limit, f"{now}:{uuid.uuid4().hex}"]
        waits = await self._script(keys=keys, args=args)
        return [float(w) for w in waits]
