"""Facts about the repository as a whole."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("libs", "services", "dev", "tests", "deploy", "docs")
SUFFIXES = {".py", ".md", ".toml", ".yml", ".yaml", ".ini", ".cfg", ".txt", ".sh", ".mako"}
# A path into a folder beside the repository, or a design note cited by name and section.
OUTSIDE = re.compile(
    r"\.\./shared/|/work/shared|\b(?:platforms|design|style)\.md\b|(?<!RFC )(?<!RFC\s\d{4} )§\s*\d"
)


def _files() -> list[Path]:
    found = []
    for top in CHECKED:
        for path in (ROOT / top).rglob("*"):
            if path.is_file() and (path.suffix in SUFFIXES or path.name == "Dockerfile"):
                if "__pycache__" not in path.parts and path != Path(__file__).resolve():
                    found.append(path)
    return found


def test_nothing_cites_a_document_outside_the_repository():
    cited = []
    for path in _files():
        for no, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
            match = OUTSIDE.search(line)
            if match is None:
                continue
            name = match.group(0)
            # A name that is a file of the repository is fine.
            if name.endswith(".md") and any(ROOT.rglob(name)):
                continue
            cited.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    assert not cited, "cite the fact, or a file in the repository:\n" + "\n".join(cited)


def test_the_check_sees_what_it_looks_for():
    assert OUTSIDE.search("# see ../shared/platforms.md")
    assert OUTSIDE.search('"""X errors (platforms.md §1.5)."""')
    assert OUTSIDE.search("as design §3 says")
    assert not OUTSIDE.search("RFC 9457 §3.1 problem details")
    assert len(_files()) > 100


# -- SQL lives in libs/herald_db/repositories -----------------------------------------------

# Code outside libs/herald_db may take from SQLAlchemy only what builds no SQL. Everything
# else (select, insert, update, delete, text, func, and_, or_, the dialects' insert, loader
# options, ``import sqlalchemy`` itself, which reaches all of them) is a query, and queries
# belong in a function of libs/herald_db/repositories that takes the session.
NOT_QUERIES = {
    "sqlalchemy.ext.asyncio": "sessions, sessionmakers and engines, passed to repositories",
    "sqlalchemy.exc": "errors a caller catches (a unique violation, a lost connection)",
    "sqlalchemy.Row": "the type of a row a repository returns, for annotations",
}
# Query constructs allowed outside libs/herald_db, each (file, module.name) with its reason.
ALLOWED_SQL = {
    ("libs/herald_common/health.py", "sqlalchemy.text"): (
        "the readiness probe's SELECT 1 on the engine: it reads no table of Herald's"
    ),
}
SQL_FREE = ("services", "dev", "libs")


def sql_imports(source: str) -> list[tuple[int, str]]:
    """(line, "module.name") of each import in ``source`` that can build SQL, at any depth
    (inside a function or ``if TYPE_CHECKING:`` too). Read with ast: a docstring or string
    that mentions an import is not one."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name != "sqlalchemy" and not name.startswith("sqlalchemy."):
                continue
            if any(name == ok or name.startswith(ok + ".") for ok in NOT_QUERIES):
                continue
            found.append((node.lineno, name))
    return found


def sql_outside_repositories(root: Path) -> dict[tuple[str, str], int]:
    """Every (file, module.name) under ``root``'s services, dev and libs, outside
    libs/herald_db, that imports something building SQL, with the line."""
    found: dict[tuple[str, str], int] = {}
    for top in SQL_FREE:
        for path in sorted((root / top).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel.startswith("libs/herald_db/") or "__pycache__" in path.parts:
                continue
            for line, name in sql_imports(path.read_text()):
                found.setdefault((rel, name), line)
    return found


def test_sql_lives_in_the_repositories():
    found = sql_outside_repositories(ROOT)
    wrong = [
        f"{f}:{line}: {name}" for (f, name), line in found.items() if (f, name) not in ALLOWED_SQL
    ]
    assert not wrong, (
        "queries belong in libs/herald_db/repositories (a function taking the session):\n"
        + "\n".join(wrong)
    )
    # An exception that is no longer needed goes: the list says exactly what is allowed.
    stale = sorted(set(ALLOWED_SQL) - set(found))
    assert not stale, f"allowed but no longer imported, drop them from ALLOWED_SQL: {stale}"


def test_the_sql_check_sees_what_it_looks_for(tmp_path: Path):
    sample = '''"""Not an import: from sqlalchemy import select."""
from sqlalchemy import Row, select
from sqlalchemy import func as f
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.exc import IntegrityError
import sqlalchemy as sa
import sqlalchemy.orm
from .sqlalchemy import select as mine

def later():
    from sqlalchemy import text
    query = "from sqlalchemy import update"
'''
    assert sql_imports(sample) == [
        (2, "sqlalchemy.select"),
        (3, "sqlalchemy.func"),
        (4, "sqlalchemy.dialects.postgresql.insert"),
        (7, "sqlalchemy"),
        (8, "sqlalchemy.orm"),
        (12, "sqlalchemy.text"),
    ]
    assert sql_imports("from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker") == []
    # On a tree: found in services, dev and libs, not in libs/herald_db or tests.
    for rel in (
        "services/a/x.py",
        "dev/b/y.py",
        "libs/c/z.py",
        "libs/herald_db/ok.py",
        "tests/t.py",
    ):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("import uuid\n\nfrom sqlalchemy import and_, or_\n")
    found = sql_outside_repositories(tmp_path)
    assert found == {
        (f, name): 3
        for f in ("dev/b/y.py", "libs/c/z.py", "services/a/x.py")
        for name in ("sqlalchemy.and_", "sqlalchemy.or_")
    }
    # The real tree is read: the allowed import is seen where it is.
    assert set(ALLOWED_SQL) <= set(sql_outside_repositories(ROOT))
