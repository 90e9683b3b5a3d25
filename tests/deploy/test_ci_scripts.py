"""The CI entry point and the shell scripts beside it parse: a script that bash cannot
read fails CI before a single test runs, so it is checked like code."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted([ROOT / ".ci" / "run", *ROOT.glob("deploy/**/*.sh"), *ROOT.glob("dev/**/*.sh")])


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_script_parses(script: Path) -> None:
    bash = shutil.which("bash")
    assert bash is not None
    done = subprocess.run([bash, "-n", str(script)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_ci_runs_the_suite_once() -> None:
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if not line.lstrip().startswith("#")
    ]
    assert lines.count("make test") == 1
    assert lines[-1] == "make test"
