"""Structured logging: one JSON object per line, and redaction of Discord bot tokens.

:class:`JsonFormatter` writes ``ts``, ``level``, ``logger``, ``event`` (the formatted message)
and every ``extra=`` field (``guild``, ``command``, ``took_ms``, ``status`` …). Fields that carry
what users wrote (:data:`CONTENT_FIELDS`) are dropped unless ``include_content=True``: pass
questions as ``extra={"question": q}``, never inside the message, so the default keeps them out.

:class:`RedactTokens` rewrites anything shaped like a bot token in the message, its arguments,
extra fields and the formatted traceback. Attach it to the *handler* (handler filters see records
from every logger; a logger's own filters do not see its children's records).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import IO

# user id (base64) . timestamp . HMAC — the shape `kiji doctor` checks DISCORD_TOKEN against.
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}")
REDACTED = "[redacted token]"

# Extra fields holding user-written text: kept out of the logs by default.
CONTENT_FIELDS = frozenset({"content", "question", "query", "text", "message_content", "answer"})

# Attributes every LogRecord has; anything else on a record came from ``extra=``.
_STANDARD = frozenset(
    vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None)).keys()
) | {"message", "asctime", "taskName"}


def redact(text: str) -> str:
    """``text`` with every token-shaped substring replaced by :data:`REDACTED`."""
    return TOKEN_RE.sub(REDACTED, text)


def _redact_value(value: object) -> object:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, tuple):
        return tuple(_redact_value(v) for v in value)
    if isinstance(value, list):
        return [_redact_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _redact_value(v) for k, v in value.items()}
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    text = str(value)  # an exception or object whose str() may carry the token
    return redact(text) if TOKEN_RE.search(text) else value


class RedactTokens(logging.Filter):
    """Removes Discord bot tokens from a record before any handler formats it. Never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        elif TOKEN_RE.search(str(record.msg)):
            record.msg = redact(str(record.msg))
        if record.args:
            if isinstance(record.args, dict):
                record.args = _redact_value(record.args)  # type: ignore[assignment]
            else:
                record.args = tuple(_redact_value(a) for a in record.args)
        for key, value in list(vars(record).items()):
            if key not in _STANDARD:
                setattr(record, key, _redact_value(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts``, ``level``, ``logger``, ``event``, extra fields, ``exc``."""

    def __init__(
        self, *, include_content: bool = False, content_fields: Iterable[str] = CONTENT_FIELDS
    ) -> None:
        super().__init__()
        self.include_content = include_content
        self.content_fields = frozenset(content_fields)

    def format(self, record: logging.LogRecord) -> str:
        ts = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        out: dict[str, object] = {
            "ts": ts.replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key in _STANDARD or key.startswith("_") or key in out:
                continue
            if key in self.content_fields and not self.include_content:
                continue
            out[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False, default=str)


def json_handler(
    stream: IO[str] | None = None, *, include_content: bool = False
) -> logging.Handler:
    """A stream handler (stderr by default) writing JSON lines with tokens redacted."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(include_content=include_content))
    handler.addFilter(RedactTokens())
    return handler
