"""The README's settings table is the one the code generates: a setting added, renamed or
given a new default shows up there."""

from __future__ import annotations

from pathlib import Path

from herald_devrun.settings_doc import table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_every_setting_as_the_code_has_it():
    lines = README.read_text().splitlines()
    start = lines.index(table()[0])
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    assert lines[start:end] == table(), "run: python -m herald_devrun.settings_doc"


def test_the_table_names_the_settings_of_every_service():
    names = {line.split("`")[1] for line in table()[2:]}
    assert {"DATABASE_URL", "HERALD_UNKNOWN_CHECK_SECONDS", "HERALD_API_PORT"} <= names
