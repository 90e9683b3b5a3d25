"""Tokens are verified once per process and their expiry checked on every request."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from herald_post_api.auth.security import TokenError, create_access_token, decode_access_token

SECRET = "a-test-secret-of-at-least-thirty-two-characters"


def test_a_token_verified_before_still_expires() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    token = create_access_token("user-1", SECRET, now=now, ttl=60)
    assert decode_access_token(token, SECRET, now=now) == "user-1"
    with pytest.raises(TokenError, match="expired"):
        decode_access_token(token, SECRET, now=now + timedelta(seconds=61))


def test_a_token_verified_under_one_secret_is_refused_under_another() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    token = create_access_token("user-1", SECRET, now=now, ttl=60)
    assert decode_access_token(token, SECRET, now=now) == "user-1"
    with pytest.raises(TokenError, match="invalid"):
        decode_access_token(token, SECRET[::-1], now=now)


def test_a_tampered_token_is_refused_every_time() -> None:
    now = datetime(2027, 1, 1, tzinfo=UTC)
    token = create_access_token("user-1", SECRET, now=now, ttl=60)
    head, body, sig = token.split(".")
    tampered = f"{head}.{body}.{sig[:-2]}{'AA' if sig[-2:] != 'AA' else 'BB'}"
    for _ in range(2):
        with pytest.raises(TokenError, match="invalid"):
            decode_access_token(tampered, SECRET, now=now)
