"""Run Alembic migrations from code (``python -m herald_db.migrate upgrade head``)."""

from __future__ import annotations

import sys
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


def main(argv: list[str] | None = None) -> int:
    from herald_common.settings import DatabaseSettings

    args = list(sys.argv[1:] if argv is None else argv)
    action = args[0] if args else "upgrade"
    revision = args[1] if len(args) > 1 else ("head" if action == "upgrade" else "base")
    url = DatabaseSettings().database_url
    if action == "upgrade":
        upgrade(url, revision)
    elif action == "downgrade":
        downgrade(url, revision)
    else:
        print(f"unknown action {action!r}; use upgrade or downgrade", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
