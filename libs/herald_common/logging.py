"""Logging set-up, with a filter that keeps secrets out of every log line."""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

_SECRET_PATTERNS = [
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+"),
    re.compile(
        r"(?i)((?:access_token|refresh_token|client_secret|password|code_verifier|token|secret)"
        r"[\"']?\s*[:=]\s*[\"']?)[^\"'&\s,}]+"
    ),
    # Calendar feed tokens, wherever they appear (the feed's path holds one).
    re.compile(r"(hcal_)[A-Za-z0-9_-]+"),
]


def redact(text: str) -> str:
    for pattern in _SECRET_PATTERNS:
        text = pattern.sub(r"\1[REDACTED]", text)
    return text


class RedactingFilter(logging.Filter):
    """Redacts the message and the traceback (exception messages can carry URLs with tokens)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.args:
            record.msg = record.getMessage()
            record.args = None
        record.msg = redact(str(record.msg))
        if record.exc_info and not record.exc_text:
            # Formatters print exc_text when it is set, instead of formatting exc_info again.
            record.exc_text = redact(_formatter.formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


_formatter = logging.Formatter()


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_text:
            data["exc"] = redact(record.exc_text)
        elif record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(data)


def configure_logging(level: str = "INFO", as_json: bool = False, name: str = "herald") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    if as_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter(f"%(asctime)s %(levelname)s [{name}] %(name)s: %(message)s")
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Statements with their parameters (hashes, encrypted blobs) only when asked for, with
    # HERALD_DB_ECHO; a DEBUG level alone does not print them.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
