"""Log lines in both formats: the context fields, and no secret even inside a traceback."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys

import pytest

from herald_common.logging import configure_logging, current_context, log_context, redact

SECRETS = {
    "bearer": "eyJhbGciOiJIUzI1NiJ9.c2VjcmV0LXN1Yg.c2lnbmF0dXJl",
    "access token": "EAAGm0PX4ZCpsBA-secret-access",
    "password": "correct-horse-battery-staple",
    "feed": "hcal_Zm9vYmFyYmF6cXV4cXV1eA",
    "db password": "pg-s3cret-pw",
}


@pytest.fixture
def capture(monkeypatch):
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)

    def configure(fmt: str) -> io.StringIO:
        monkeypatch.setattr(sys, "stderr", stream)
        configure_logging("DEBUG", fmt, name="publisher")
        return stream

    yield configure
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _fail() -> None:
    raise RuntimeError(
        f"POST https://graph.example.com/v25.0/me?access_token={SECRETS['access token']} "
        f"with Authorization: Bearer {SECRETS['bearer']} and password={SECRETS['password']} "
        f"via postgresql://herald:{SECRETS['db password']}@db:5432/herald "
        f"for /v1/calendar/{SECRETS['feed']}.ics"
    )


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_tracebacks_and_messages_are_redacted_in_both_formats(capture, fmt):
    stream = capture(fmt)
    log = logging.getLogger("herald.test")
    with log_context(job_id="publish:abc", post_id="p-1", platform="FACEBOOK"):
        try:
            _fail()
        except RuntimeError:
            log.exception("publishing failed with token=%s", SECRETS["access token"])
        log.warning("retrying %s", f"Bearer {SECRETS['bearer']}", stack_info=True)
    out = stream.getvalue()
    # JSON escapes the traceback's line breaks; the words are there either way.
    assert "Traceback (most recent call last)" in out
    assert "[REDACTED]" in out
    assert [name for name, value in SECRETS.items() if value in out] == []
    if fmt == "json":
        first, second = (json.loads(line) for line in out.splitlines())
        assert first["exc"].startswith("Traceback")
        assert (first["job_id"], first["post_id"], first["platform"]) == (
            "publish:abc",
            "p-1",
            "FACEBOOK",
        )
        assert first["service"] == "publisher"
        assert "stack" in second
    else:
        assert "job_id=publish:abc post_id=p-1 platform=FACEBOOK" in out


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        ("TOKEN=abc123", "TOKEN=[REDACTED]"),
        ("Authorization: BEARER abc.def", "Authorization: BEARER [REDACTED]"),
        # Letters a case-insensitive pattern takes for ASCII ones (U+017F, U+212A, U+0131).
        ("\u017fecret=abc123", "\u017fecret=[REDACTED]"),
        ("to\u212aen: abc123", "to\u212aen: [REDACTED]"),
        ("code_ver\u0131fier=abc123", "code_ver\u0131fier=[REDACTED]"),
        ("GET /v1/posts/{post_id} 200 in 1.2 ms", "GET /v1/posts/{post_id} 200 in 1.2 ms"),
    ],
)
def test_redaction_whatever_the_case_or_the_letters(line: str, redacted: str):
    assert redact(line) == redacted


async def test_each_task_keeps_its_own_context():
    seen: dict[str, dict[str, str]] = {}

    async def work(platform: str) -> None:
        with log_context(platform=platform):
            await asyncio.sleep(0)
            seen[platform] = current_context()

    with log_context(job_id="j-1"):
        await asyncio.gather(work("X"), work("LINKEDIN"))
    assert seen == {
        "X": {"job_id": "j-1", "platform": "X"},
        "LINKEDIN": {"job_id": "j-1", "platform": "LINKEDIN"},
    }
    assert current_context() == {}
