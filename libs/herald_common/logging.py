"""Logging set-up: JSON lines or text, each line with the request, job, post and platform it
belongs to, and a filter that keeps secrets out of every line, tracebacks included.

The context fields live in a :class:`~contextvars.ContextVar`: the API's request-id
middleware, the publisher's jobs and the collector bind them with :func:`log_context`, and
every record logged inside (by Herald or by a library) carries them. Tasks started inside
inherit them; a task's own bindings end with it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import sys
from collections.abc import Iterator
from contextvars import ContextVar, Token
from datetime import UTC, datetime
from typing import Any

_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|password|code_verifier|token|secret)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"
    ),
    # Calendar feed tokens, wherever they appear (the feed's path holds one).
    re.compile(r"(hcal_)[A-Za-z0-9_-]+"),
    # Passwords in connection URLs (postgresql://user:password@host, redis://:password@host).
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+(?=@)"),
]


# Each pattern above needs one of these words: an ASCII line with none of them in any case
# (most lines, every access line) is left as it is without running the patterns. (Outside
# ASCII, a case-insensitive pattern also matches letters such as U+017F for "s".)
_SECRET_HINTS = (
    "bearer",
    "token",
    "secret",
    "password",
    "code_verifier",
    "hcal_",
    "://",
)


def redact(text: str) -> str:
    if text.isascii():
        lowered = text.lower()
        if not any(hint in lowered for hint in _SECRET_HINTS):
            return text
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1[REDACTED]", text)
    return text


# -- context ------------------------------------------------------------------------------

# The fields a line may carry, in the order text lines show them.
CONTEXT_FIELDS = ("request_id", "job_id", "post_id", "platform")
_CONTEXT: ContextVar[dict[str, str] | None] = ContextVar("herald_log_context", default=None)


def push_context(**fields: object) -> Token[dict[str, str] | None]:
    """Bind ``fields`` (``None`` values are left out) until :func:`pop_context`."""
    return _CONTEXT.set(
        {**(_CONTEXT.get() or {}), **{k: str(v) for k, v in fields.items() if v is not None}}
    )


def pop_context(token: Token[dict[str, str] | None]) -> None:
    _CONTEXT.reset(token)


@contextlib.contextmanager
def log_context(**fields: object) -> Iterator[None]:
    """Lines logged inside carry ``fields`` (``None`` values are left out)."""
    token = push_context(**fields)
    try:
        yield
    finally:
        pop_context(token)


def current_context() -> dict[str, str]:
    return dict(_CONTEXT.get() or {})


class ContextFilter(logging.Filter):
    """Copies the current context onto each record (``record.herald``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.herald = _CONTEXT.get() or {}
        return True


# -- redaction ----------------------------------------------------------------------------


class RedactingFilter(logging.Filter):
    """Redacts the message and the traceback (exception messages can carry URLs with tokens)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = redact(str(record.msg))
        if record.exc_info and not record.exc_text:
            # Formatters print exc_text when it is set, instead of formatting exc_info again.
            record.exc_text = _formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_formatter = logging.Formatter()


def _context_of(record: logging.LogRecord) -> dict[str, str]:
    found: dict[str, str] = getattr(record, "herald", None) or {}
    return {k: redact(found[k]) for k in CONTEXT_FIELDS if k in found}


# -- formats ------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts, level, service, logger, msg, the context, exc."""

    def __init__(self, service: str = "herald") -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": redact(record.getMessage()),
            **_context_of(record),
        }
        if record.exc_text:
            data["exc"] = redact(record.exc_text)
        elif record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        if record.stack_info:
            data["stack"] = redact(record.stack_info)
        return json.dumps(data, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``time LEVEL [service] logger: message key=value ...``, then any traceback."""

    def __init__(self, service: str = "herald") -> None:
        super().__init__(f"%(asctime)s %(levelname)s [{service}] %(name)s: %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        line = super().formatMessage(record)
        context = _context_of(record)
        if context:
            line += " " + " ".join(f"{k}={v}" for k, v in context.items())
        return line

    def formatException(self, ei: Any) -> str:  # noqa: N802 - logging's name
        return redact(super().formatException(ei))


def configure_logging(
    level: str = "INFO", as_json: bool | str = False, name: str = "herald"
) -> None:
    """Log to stderr as JSON lines (``as_json`` true or ``"json"``) or text."""
    if isinstance(as_json, str):
        as_json = as_json.lower() == "json"
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(ContextFilter())
    handler.addFilter(RedactingFilter())
    handler.setFormatter(JsonFormatter(name) if as_json else TextFormatter(name))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Statements with their parameters (hashes, encrypted blobs) only when asked for, with
    # HERALD_DB_ECHO; a DEBUG level alone does not print them.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
