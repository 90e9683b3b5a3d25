"""``make demo`` runs to the end against ``make run`` on a fresh database, and what it prints
is what Herald holds: every post published on four platforms, four readings each, growing."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from herald_demo.__main__ import PASSWORD
from tests.devrun import stack

pytestmark = pytest.mark.slow


def test_make_demo_runs_to_the_end_against_make_run(devrun_env):
    with stack.running(devrun_env) as run:
        # The banner tells how to reach this run's demo.
        assert (
            f"HERALD_URL={run.api_url} HERALD_SIM_URL={run.sim_url} "
            f"HERALD_ANALYTICS_URL={run.analytics_url} make demo" in run.output()
        )
        env = dict(
            devrun_env,
            HERALD_URL=run.api_url,
            HERALD_SIM_URL=run.sim_url,
            HERALD_ANALYTICS_URL=run.analytics_url,
        )
        done = subprocess.run(
            [sys.executable, "-m", "herald_demo", "--in", "3", "--every", "1"],
            env=env,
            cwd=stack.ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        out = done.stdout
        assert done.returncode == 0, f"{out}\n{done.stderr}"
        assert "connected X (@demo-" in out
        assert "published: 24 of 24 platform results succeeded" in out
        for label in ("+1 h", "+6 h", "+24 h", "+7 d"):
            assert re.search(rf"{re.escape(label)}: 24/24 readings$", out, re.M), out
        assert re.search(r"^\[demo\] week \d{4}-W\d\d \(UTC\): reach [\d,]+ impressions", out, re.M)
        for name in ("X", "Instagram", "LinkedIn", "Facebook"):
            assert re.search(rf"^\[demo\]   {name} +\w{{3}} \d\d:00 [\d.]+% \(6 posts", out, re.M)

        email = re.search(r"registered (demo-\w+@example\.com)", out)
        assert email, out
        token = httpx.post(
            f"{run.api_url}/v1/auth/token",
            data={"username": email.group(1), "password": PASSWORD},
        ).json()["access_token"]
        auth = {"authorization": f"Bearer {token}"}
        posts = httpx.get(f"{run.api_url}/v1/posts", headers=auth).json()["items"]
        assert [p["status"] for p in posts] == ["PUBLISHED"] * 6
        for post in posts:
            report = httpx.get(f"{run.api_url}/v1/posts/{post['id']}/analytics", headers=auth)
            platforms = report.json()["platforms"]
            assert len(platforms) == 4
            for platform in platforms:
                readings = [h["impressions"] for h in platform["history"]]
                assert [h["checkpoint"] for h in platform["history"]] == ["1h", "6h", "24h", "7d"]
                assert readings == sorted(readings), readings
                assert readings[0] < readings[-1], readings

        # The analytics service's clock is moved only with what makes sense.
        for bad in ({"advance": -60}, {"advance": "soon"}, {}):
            r = httpx.post(f"{run.analytics_url}/_dev/clock", json=bad)
            assert r.status_code == 422, (bad, r.text)
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["field"] == "advance"
