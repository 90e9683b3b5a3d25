"""Login throttling per account and per client address, shared by every API replica (Redis).

Each attempt is counted before the password is checked, so a burst of guesses cannot slip
in between a check and its count; a successful login takes its own attempt back and clears
the account's count. Unknown emails are counted like known ones, so the answers reveal
nothing about which accounts exist. Windows are fixed: the first counted attempt starts
one, and an attempt over the limit answers 429 with ``Retry-After`` until it ends.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass

from redis.asyncio import Redis
from redis.exceptions import RedisError

from herald_common.errors import AppError

log = logging.getLogger(__name__)


class TooManyLoginAttempts(AppError):
    status = 429
    slug = "too-many-login-attempts"
    title = "Too many login attempts"


# Clear the account; take the attempt back from the address only while its window lasts
# (a DECR on an expired key would leave a count without an end).
_SUCCEEDED = """
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('DECR', KEYS[2]) end
return 1
"""


@dataclass(frozen=True)
class Attempt:
    account_key: str
    address_key: str


@dataclass(frozen=True)
class LoginThrottle:
    redis: Redis
    prefix: str
    per_account: int
    per_address: int
    window_seconds: int

    def _keys(self, email: str, address: str) -> Attempt:
        # The email is hashed: Redis never holds the addresses people try.
        digest = hashlib.sha256(email.strip().lower().encode()).hexdigest()
        return Attempt(
            f"{self.prefix}:login:account:{digest}", f"{self.prefix}:login:address:{address}"
        )

    async def begin(self, email: str, address: str) -> Attempt:
        """Count an attempt; TooManyLoginAttempts when the account or the address is over."""
        attempt = self._keys(email, address)
        try:
            pipe = self.redis.pipeline(transaction=True)
            for key in (attempt.account_key, attempt.address_key):
                # SET NX + INCR keeps the window's end fixed (EXPIRE NX needs Redis 7).
                pipe.set(key, 0, ex=self.window_seconds, nx=True)
                pipe.incr(key)
                pipe.pttl(key)
            _, account, account_ttl, _, address_count, address_ttl = await pipe.execute()
        except RedisError:
            # Logins stay possible while Redis is away; the outage is in the log.
            log.warning("login throttle unavailable; attempt not counted", exc_info=True)
            return attempt
        over = [
            ttl
            for count, limit, ttl in (
                (account, self.per_account, account_ttl),
                (address_count, self.per_address, address_ttl),
            )
            if count > limit
        ]
        if over:
            wait = max(1, math.ceil(max(over) / 1000))
            raise TooManyLoginAttempts(
                f"Too many login attempts; try again in {wait} seconds.",
                headers={"Retry-After": str(wait)},
            )
        return attempt

    async def succeeded(self, attempt: Attempt) -> None:
        """A right password: the account starts afresh, the address gets its attempt back."""
        try:
            await self.redis.eval(  # type: ignore[misc]
                _SUCCEEDED, 2, attempt.account_key, attempt.address_key
            )
        except RedisError:
            log.warning("login throttle unavailable; success not recorded", exc_info=True)
