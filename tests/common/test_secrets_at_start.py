"""Outside dev, the services refuse to start with the built-in JWT secret or encryption key."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from herald_common.crypto import generate_key
from herald_common.settings import (
    DEV_ENCRYPTION_KEY,
    DEV_JWT_SECRET,
    InsecureSettings,
    SecretsSettings,
)

OWN_SECRET = "an-own-secret-of-this-install-0123456789abcdef"


def test_production_refuses_the_built_in_values_naming_each_setting():
    with pytest.raises(InsecureSettings) as caught:
        SecretsSettings(environment="production").require_own_secrets()
    message = str(caught.value)
    assert "HERALD_JWT_SECRET" in message
    assert "HERALD_ENCRYPTION_KEYS" in message


def test_production_is_the_default():
    assert SecretsSettings().environment == "production"
    with pytest.raises(InsecureSettings):
        SecretsSettings().require_own_secrets()


@pytest.mark.parametrize(
    ("jwt_secret", "keys", "named"),
    [
        (DEV_JWT_SECRET, "OWN", "HERALD_JWT_SECRET"),
        ("short-secret", "OWN", "HERALD_JWT_SECRET"),
        (OWN_SECRET, DEV_ENCRYPTION_KEY, "HERALD_ENCRYPTION_KEYS"),
        # The built-in key kept as an older key still refuses: rows it reads are not secret.
        (OWN_SECRET, f"OWN,{DEV_ENCRYPTION_KEY}", "HERALD_ENCRYPTION_KEYS"),
    ],
)
def test_each_built_in_or_weak_secret_is_named(jwt_secret, keys, named):
    settings = SecretsSettings(
        environment="production",
        jwt_secret=jwt_secret,
        encryption_keys=keys.replace("OWN", generate_key()),
    )
    with pytest.raises(InsecureSettings) as caught:
        settings.require_own_secrets()
    assert named in str(caught.value)
    other = ({"HERALD_JWT_SECRET", "HERALD_ENCRYPTION_KEYS"} - {named}).pop()
    assert other not in str(caught.value)


def test_own_secrets_pass_and_dev_allows_the_built_in_ones():
    SecretsSettings(
        environment="production", jwt_secret=OWN_SECRET, encryption_keys=generate_key()
    ).require_own_secrets()
    SecretsSettings(environment="dev").require_own_secrets()


@pytest.mark.parametrize("module", ["herald_post_api", "herald_publisher", "herald_analytics"])
def test_service_process_exits_with_a_clear_message(module):
    env = {k: v for k, v in os.environ.items() if not k.startswith("HERALD_")}
    # Nothing answers here: the service must stop before it tries to connect.
    env.update(
        DATABASE_URL="postgresql+asyncpg://nobody@127.0.0.1:9/none",
        REDIS_URL="redis://127.0.0.1:9/0",
    )
    done = subprocess.run(
        [sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode != 0
    assert "refusing to start" in done.stderr
    assert "HERALD_JWT_SECRET" in done.stderr
    assert "HERALD_ENCRYPTION_KEYS" in done.stderr
    assert "Traceback" not in done.stderr
