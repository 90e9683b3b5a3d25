"""Encryption of secrets at rest, with key rotation.

Keys are Fernet keys (``Fernet.generate_key()``), newest first: the newest encrypts, every
key decrypts, and :meth:`SecretBox.rotate` re-encrypts a token under the newest key.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBoxError(Exception):
    pass


class SecretBox:
    def __init__(self, keys: str | list[str]) -> None:
        if isinstance(keys, str):
            keys = [k.strip() for k in keys.split(",") if k.strip()]
        if not keys:
            raise SecretBoxError("at least one encryption key is required")
        try:
            fernets = [Fernet(k.encode()) for k in keys]
        except ValueError as exc:
            raise SecretBoxError("encryption keys must be url-safe base64 Fernet keys") from exc
        self._newest = fernets[0]
        self._fernet = MultiFernet(fernets)

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def decrypt(self, token: bytes) -> bytes:
        try:
            return self._fernet.decrypt(token)
        except InvalidToken as exc:
            raise SecretBoxError("secret cannot be decrypted with the configured keys") from exc

    def rotate(self, token: bytes) -> bytes:
        """``token`` encrypted again under the newest key."""
        try:
            return self._fernet.rotate(token)
        except InvalidToken as exc:
            raise SecretBoxError("secret cannot be decrypted with the configured keys") from exc

    def is_newest(self, token: bytes) -> bool:
        """Whether ``token`` is already encrypted under the newest key."""
        try:
            self._newest.decrypt(token)
        except InvalidToken:
            return False
        return True

    def encrypt_json(self, data: dict[str, Any]) -> bytes:
        return self.encrypt(json.dumps(data, separators=(",", ":")).encode())

    def decrypt_json(self, token: bytes) -> dict[str, Any]:
        result: dict[str, Any] = json.loads(self.decrypt(token))
        return result

    def encrypt_str(self, value: str) -> bytes:
        return self.encrypt(value.encode())

    def decrypt_str(self, token: bytes) -> str:
        return self.decrypt(token).decode()


def generate_key() -> str:
    return Fernet.generate_key().decode()
