"""`make run` generates per-install secrets under .data/ once and keeps them."""

from __future__ import annotations

import stat

from herald_common.crypto import SecretBox
from herald_common.settings import SecretsSettings
from herald_devrun import secrets_file


def test_generated_once_private_and_accepted_in_production(tmp_path):
    path, first, made = secrets_file.ensure(tmp_path)
    assert made
    assert path == tmp_path / "secrets.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again_path, again, made_again = secrets_file.ensure(tmp_path)
    assert (again_path, again, made_again) == (path, first, False)
    settings = SecretsSettings(
        environment="production",
        jwt_secret=first["HERALD_JWT_SECRET"],
        encryption_keys=first["HERALD_ENCRYPTION_KEYS"],
    )
    settings.require_own_secrets()
    box = SecretBox(settings.encryption_keys)
    assert box.decrypt_str(box.encrypt_str("x")) == "x"


def test_other_installs_get_other_secrets(tmp_path):
    _, one, _ = secrets_file.ensure(tmp_path / "one")
    _, two, _ = secrets_file.ensure(tmp_path / "two")
    assert one["HERALD_JWT_SECRET"] != two["HERALD_JWT_SECRET"]
    assert one["HERALD_ENCRYPTION_KEYS"] != two["HERALD_ENCRYPTION_KEYS"]
