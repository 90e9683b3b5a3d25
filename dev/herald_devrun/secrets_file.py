"""Per-install secrets for ``make run``: generated once under ``.data/``, then reused.

The file holds ``HERALD_JWT_SECRET`` and ``HERALD_ENCRYPTION_KEYS`` as ``NAME=value`` lines,
readable by its owner only. Variables already set in the environment win over it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from herald_common.crypto import generate_key

FILE_NAME = "secrets.env"
NAMES = ("HERALD_JWT_SECRET", "HERALD_ENCRYPTION_KEYS")


def read(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, value = line.split("=", 1)
        values[name.strip()] = value.strip()
    return values


def write(path: Path, values: dict[str, str]) -> None:
    """Write ``values`` to ``path`` (mode 0600), replacing it in one step."""
    text = "# Secrets of this install, made by `make run`. Keep them; never commit them.\n"
    text += "".join(f"{name}={values[name]}\n" for name in NAMES if name in values)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def ensure(data: Path) -> tuple[Path, dict[str, str], bool]:
    """The install's secrets, generating the missing ones; True when something was made."""
    path = data / FILE_NAME
    values = read(path) if path.exists() else {}
    made = False
    if not values.get("HERALD_JWT_SECRET"):
        values["HERALD_JWT_SECRET"] = secrets.token_urlsafe(48)
        made = True
    if not values.get("HERALD_ENCRYPTION_KEYS"):
        values["HERALD_ENCRYPTION_KEYS"] = generate_key()
        made = True
    if made:
        data.mkdir(parents=True, exist_ok=True)
        write(path, values)
    return path, values, made
