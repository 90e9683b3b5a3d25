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


# A metric read: KEYS[1] the account's read window, KEYS[2] its posting window. ARGV: now,
# read window, read limit, cost (requests), posting window, posting limit, reserve (posting
# slots that must stay free), member prefix. Returns '0' (taken) or the seconds to wait.
_ACQUIRE_READ = """
local now = tonumber(ARGV[1])
local rwin, rlim, cost = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local pwin, plim, reserve = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - pwin)
local posting = redis.call('ZCARD', KEYS[2])
if posting > plim - reserve then
  local k = posting - (plim - reserve)
  local entry = redis.call('ZRANGE', KEYS[2], k - 1, k - 1, 'WITHSCORES')
  return tostring(math.max(tonumber(entry[2]) + pwin - now, 0.001))
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - rwin)
local reading = redis.call('ZCARD', KEYS[1])
if reading + cost > rlim then
  local k = math.min(reading, reading + cost - rlim)
  if k < 1 then return tostring(rwin) end
  local entry = redis.call('ZRANGE', KEYS[1], k - 1, k - 1, 'WITHSCORES')
  return tostring(math.max(tonumber(entry[2]) + rwin - now, 0.001))
end
for i = 1, cost do
  redis.call('ZADD', KEYS[1], now, ARGV[8] .. ':' .. i)
end
redis.call('PEXPIRE', KEYS[1], math.ceil(rwin * 1000))
return '0'
"""


class RateLimiter:
    def __init__(self, redis: Redis, prefix: str = "herald") -> None:
        self._redis = redis
        self._prefix = prefix
        self._script = redis.register_script(_ACQUIRE)
        self._read_script = redis.register_script(_ACQUIRE_READ)

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

    def read_key(self, platform: str, account_id: str) -> str:
        return f"{self._prefix}:rl:read:{platform.lower()}:{account_id}"

    async def acquire_read(
        self,
        platform: str,
        account_id: str,
        *,
        cost: int,
        limit: int,
        window: float,
        posting: tuple[int, float],
        reserve: int,
        now: float,
    ) -> float:
        """Take ``cost`` read slots for an account; 0.0 on success, else seconds to wait.

        Reads have their own window (``limit`` per ``window``), and publishing goes first:
        while the account's posting window (``posting`` = limit, window) has fewer than
        ``reserve`` slots free, reads wait for it to drain.
        """
        post_limit, post_window = posting
        wait = await self._read_script(
            keys=[self.read_key(platform, account_id), self.key(platform, account_id)],
            args=[
                now,
                window,
                limit,
                min(cost, limit),
                post_window,
                post_limit,
                reserve,
                f"{now}:{uuid.uuid4().hex}",
            ],
        )
        return float(wait)
