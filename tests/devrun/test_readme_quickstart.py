"""The README's quick start runs as written: its marked shell blocks, in order, in one bash,
against a ``make run`` on free ports and a fresh database, followed by the examples further
down that build on it (marked ``<!-- example -->``). Only the API's address and the minute
before the post is due come from the test (``HERALD_URL``, ``IN_SECONDS``), through the
variables the README itself reads."""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid

import httpx
import pytest

from tests.devrun import stack

pytestmark = pytest.mark.slow

README = stack.ROOT / "README.md"
MARK = "<!-- quickstart -->"
EXAMPLE = "<!-- example -->"


def marked_blocks(mark: str) -> list[str]:
    text = README.read_text()
    blocks = re.findall(re.escape(mark) + r"\n```sh\n(.*?)```", text, re.S)
    # Every mark is followed by a shell block: a mark that lost its block is drift too.
    assert len(blocks) == text.count(mark)
    return blocks


def quickstart_blocks() -> list[str]:
    return marked_blocks(MARK)


def test_the_examples_use_the_quick_starts_address_and_login():
    examples = marked_blocks(EXAMPLE)
    assert len(examples) >= 4
    for block in examples:
        assert "localhost" not in block
        assert "127.0.0.1" not in "".join(
            line for line in block.splitlines() if not line.startswith("#")
        )


def test_the_quick_start_blocks_cover_the_whole_journey():
    script = "\n".join(quickstart_blocks())
    for step in (
        "/v1/auth/register",
        "/v1/auth/token",
        "/connect",
        "/callback",
        "/v1/posts",
        "/attempts",
        "${HERALD_URL:-http://127.0.0.1:8000}",
        "${IN_SECONDS:-60}",
    ):
        assert step in script, step
    # Tools a bare Debian or macOS has: curl and python3, nothing else.
    for missing in ("uuidgen", "jq ", "| jq", "http "):
        assert missing not in script, missing


@pytest.mark.skipif(shutil.which("curl") is None, reason="the quick start needs curl")
def test_the_quick_start_runs_as_written_against_make_run(devrun_env, tmp_path):
    script = "\n".join(quickstart_blocks() + marked_blocks(EXAMPLE))
    with stack.running(devrun_env) as run:
        assert f"export HERALD_URL={run.api_url}" in run.output()
        done = subprocess.run(
            ["bash", "-e", "-u", "-o", "pipefail", "-c", script],
            env={
                "PATH": devrun_env["PATH"],
                "HOME": str(tmp_path),
                "HERALD_URL": run.api_url,
                "IN_SECONDS": "5",
            },
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
        out = done.stdout
        assert done.returncode == 0, f"{out}\n{done.stderr}"

        post_id = re.search(r"^post (\S+) is due at (\S+)$", out, re.M)
        assert post_id, out
        uuid.UUID(post_id.group(1))
        assert re.search(r"^\d\d:\d\d:\d\d PUBLISHED$", out, re.M), out

        # What the README printed is what the API and the simulator hold.
        token = httpx.post(
            f"{run.api_url}/v1/auth/token",
            data={"username": "ada@example.com", "password": "a long passphrase"},
        ).json()["access_token"]
        auth = {"authorization": f"Bearer {token}"}
        post = httpx.get(f"{run.api_url}/v1/posts/{post_id.group(1)}", headers=auth).json()
        assert post["status"] == "PUBLISHED"
        assert {(r["platform"], r["status"]) for r in post["results"]} == {
            ("TWITTER", "SUCCEEDED"),
            ("LINKEDIN", "SUCCEEDED"),
            ("FACEBOOK", "SUCCEEDED"),
        }
        for result in post["results"]:
            assert result["external_post_id"] in out
        attempts = httpx.get(
            f"{run.api_url}/v1/posts/{post_id.group(1)}/attempts", headers=auth
        ).json()
        assert sorted(a["platform"] for a in attempts) == ["FACEBOOK", "LINKEDIN", "TWITTER"]
        assert '"outcome": "SUCCEEDED"' in out
        accounts = httpx.get(f"{run.api_url}/v1/accounts", headers=auth).json()
        assert sorted((a["platform"], a["state"]) for a in accounts) == [
            ("FACEBOOK", "active"),
            ("LINKEDIN", "active"),
            ("TWITTER", "active"),
        ]
        # The examples after it: a post at a local time, a batch and a CSV import with a
        # row refused in each, and the calendar feed listing the posts they made.
        assert re.search(r'"created":\s*1,\s*"refused":\s*1', out), out
        assert len(re.findall(r'"created":\s*1', out)) >= 2, out
        assert "BEGIN:VCALENDAR" in out
        assert "DTSTART:20300301T080000Z" in out
        published = httpx.get(f"{run.sim_url}/_sim/published").json()
        assert sorted(p["platform"] for p in published["items"]) == [
            "FACEBOOK",
            "LINKEDIN",
            "TWITTER",
        ]
