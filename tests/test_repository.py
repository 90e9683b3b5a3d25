"""Facts about the repository as a whole."""

from __future__ import annotations

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
