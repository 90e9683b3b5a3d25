"""Move every stored secret to the newest encryption key: ``python -m herald_db.reencrypt``.

Reads ``DATABASE_URL`` and ``HERALD_ENCRYPTION_KEYS`` (newest first). Account credentials,
webhook signing secrets and the verifiers of pending connections are rewritten under the
newest key in small batches, one transaction each, with progress. Rows already under the
newest key are left alone, so the command can be run again after an interruption. Rows no
configured key can read are counted and named by id (never by content) and make the command
exit 1; exit 0 means every key but the first can be removed.

Run it after every service has been restarted with the new key in front, so nothing is
written under the old key afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from herald_common.crypto import SecretBox, SecretBoxError
from herald_db.repositories import secrets as secrets_repo
from herald_db.session import make_engine, make_sessionmaker, session_scope

Progress = Callable[[str], None]


@dataclass
class ColumnReport:
    label: str
    total: int = 0
    moved: int = 0
    already_newest: int = 0
    unreadable: list[str] = field(default_factory=list)

    @property
    def seen(self) -> int:
        return self.moved + self.already_newest + len(self.unreadable)

    def line(self) -> str:
        return (
            f"{self.label}: {self.seen}/{self.total} (moved {self.moved}, already on the newest "
            f"key {self.already_newest}, unreadable {len(self.unreadable)})"
        )


async def reencrypt(
    sessionmaker: async_sessionmaker[AsyncSession],
    box: SecretBox,
    *,
    batch: int = 200,
    progress: Progress = print,
) -> list[ColumnReport]:
    reports = []
    for column in secrets_repo.ENCRYPTED_COLUMNS:
        async with session_scope(sessionmaker) as session:
            report = ColumnReport(column.label, await secrets_repo.count(session, column))
        progress(report.line())
        after: Any = None
        while True:
            async with session_scope(sessionmaker) as session:
                rows = await secrets_repo.batch_for_update(session, column, after, batch)
                if not rows:
                    break
                moved = []
                for key, token in rows:
                    if box.is_newest(token):
                        report.already_newest += 1
                        continue
                    try:
                        moved.append((key, box.rotate(token)))
                    except SecretBoxError:
                        report.unreadable.append(str(key))
                await secrets_repo.store(session, column, moved)
                report.moved += len(moved)
                after = rows[-1][0]
            # Rows added meanwhile are counted as they come.
            report.total = max(report.total, report.seen)
            progress(report.line())
        reports.append(report)
    return reports


def main(argv: list[str] | None = None) -> int:
    from herald_common.settings import DEV_ENCRYPTION_KEY, DatabaseSettings, SecretsSettings

    parser = argparse.ArgumentParser(prog="python -m herald_db.reencrypt", description=__doc__)
    parser.add_argument("--batch", type=int, default=200, help="rows per transaction")
    args = parser.parse_args(argv)
    secrets = SecretsSettings()
    keys = [k.strip() for k in secrets.encryption_keys.split(",") if k.strip()]
    if not secrets.is_dev and keys and keys[0] == DEV_ENCRYPTION_KEY:
        print(
            "The newest key in HERALD_ENCRYPTION_KEYS is the built-in development key; put a "
            "key of your own in front first.",
            file=sys.stderr,
        )
        return 2
    box = SecretBox(keys)

    async def run() -> list[ColumnReport]:
        engine = make_engine(DatabaseSettings().database_url, pool_size=2, max_overflow=0)
        try:
            return await reencrypt(
                make_sessionmaker(engine),
                box,
                batch=args.batch,
                progress=lambda line: print(line, flush=True),
            )
        finally:
            await engine.dispose()

    reports = asyncio.run(run())
    unreadable = [(r.label, key) for r in reports for key in r.unreadable]
    if unreadable:
        print(
            f"{len(unreadable)} secrets cannot be read with any configured key; keep the old "
            "keys until these are reconnected or removed:",
            file=sys.stderr,
        )
        for label, key in unreadable:
            print(f"  {label}: {key}", file=sys.stderr)
        return 1
    moved = sum(r.moved for r in reports)
    print(f"done: {moved} secrets moved; every key but the newest can now be removed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
