"""Password hashing (argon2) and access tokens (JWT, HS256, via joserfc)."""

from __future__ import annotations

import functools
import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import OctKey

from herald_post_api.cpu import CpuPool

_hasher = PasswordHasher()
ISSUER = "herald"


class TokenError(Exception):
    pass


async def hash_password(cpu: CpuPool, password: str) -> str:
    # argon2 is deliberately slow: off the event loop, and never more at once than the pool.
    return await cpu.run(_hasher.hash, password)


def _check(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def verify_password(cpu: CpuPool, password_hash: str, password: str) -> bool:
    return await cpu.run(_check, password_hash, password)


@functools.cache
def dummy_hash() -> str:
    """A hash made like every user's, of a password nobody knows (made once per process)."""
    return _hasher.hash(secrets.token_urlsafe(24))


async def verify_dummy(cpu: CpuPool, password: str) -> None:
    """Spend the time a real check costs, for an email no account has."""
    await verify_password(cpu, dummy_hash(), password)


def _key(secret: str) -> OctKey:
    return OctKey.import_key(secret.encode())


def create_access_token(user_id: str, secret: str, *, now: datetime, ttl: int) -> str:
    claims = {
        "iss": ISSUER,
        "sub": user_id,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=ttl)).timestamp()),
    }
    return jwt.encode({"alg": "HS256", "typ": "JWT"}, claims, _key(secret), algorithms=["HS256"])


def decode_access_token(token: str, secret: str, *, now: datetime) -> str:
    sub, exp = _verified_claims(token, secret)
    if exp <= now.timestamp():
        raise TokenError("The token has expired.")
    return sub


# A client sends the same token with every request until it expires; its signature and
# claims are checked once (per process, for the last few thousand tokens), its expiry
# every time. Refused tokens raise, and lru_cache keeps no exceptions: each is checked anew.
@functools.lru_cache(maxsize=4096)
def _verified_claims(token: str, secret: str) -> tuple[str, int]:
    try:
        decoded = jwt.decode(token, _key(secret), algorithms=["HS256"])
    except (JoseError, ValueError) as exc:
        raise TokenError("The token is invalid.") from exc
    claims = decoded.claims
    if claims.get("iss") != ISSUER or not isinstance(claims.get("sub"), str):
        raise TokenError("The token is invalid.")
    exp = claims.get("exp")
    if not isinstance(exp, int):
        raise TokenError("The token has expired.")
    return str(claims["sub"]), exp
