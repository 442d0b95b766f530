"""JSON log lines and bot-token redaction, through real loggers and handlers."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from index.ops.logs import REDACTED, JsonFormatter, RedactTokens, json_handler, redact

# Shaped like a bot token (id . timestamp . hmac), not a real one.
FAKE_TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GabcdE.abcdefghijklmnopqrstuvwxyz0123456789_-"


@pytest.fixture
def capture() -> Iterator[tuple[logging.Logger, io.StringIO]]:
    stream = io.StringIO()
    handler = json_handler(stream)
    logger = logging.getLogger("kiji.test.logs")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_one_json_object_per_event_with_extra_fields(capture) -> None:
    logger, stream = capture
    logger.info(
        "answered",
        extra={"guild": 123, "command": "ask", "took_ms": 12.5, "status": "answered"},
    )
    logger.warning("feed %s failed", "https://example.com/rss")
    first, second = lines(stream)
    assert first.pop("ts").endswith("Z")
    assert first == {
        "level": "INFO",
        "logger": "kiji.test.logs",
        "event": "answered",
        "guild": 123,
        "command": "ask",
        "took_ms": 12.5,
        "status": "answered",
    }
    assert second["event"] == "feed https://example.com/rss failed"
    assert second["level"] == "WARNING"


def test_message_content_is_left_out_by_default(capture) -> None:
    logger, stream = capture
    logger.info("asked", extra={"guild": 1, "question": "日銀の金利は？", "content": "秘密"})
    (line,) = lines(stream)
    assert "question" not in line and "content" not in line
    assert "日銀" not in stream.getvalue()

    record = logging.LogRecord("x", logging.INFO, __file__, 1, "asked", None, None)
    record.question = "日銀の金利は？"
    assert json.loads(JsonFormatter(include_content=True).format(record))["question"] == (
        "日銀の金利は？"
    )


def test_redact() -> None:
    assert redact(f"token={FAKE_TOKEN} end") == f"token={REDACTED} end"
    assert redact("Bot abc.def.ghi and v1.2.3") == "Bot abc.def.ghi and v1.2.3"


def test_tokens_are_redacted_everywhere_in_a_record(capture) -> None:
    logger, stream = capture
    logger.error(f"login with {FAKE_TOKEN}")
    logger.error("login with %s", FAKE_TOKEN)
    logger.error("login with %(t)s", {"t": FAKE_TOKEN})
    logger.error("config", extra={"env": {"DISCORD_TOKEN": FAKE_TOKEN}, "note": FAKE_TOKEN})
    try:
        raise RuntimeError(f"401 Unauthorized for token {FAKE_TOKEN}")
    except RuntimeError:
        logger.exception("login failed")
    out = stream.getvalue()
    assert FAKE_TOKEN not in out
    assert FAKE_TOKEN[:26] + "." not in out
    records = lines(stream)
    assert [r["event"] for r in records[:3]] == [f"login with {REDACTED}"] * 3
    assert records[3]["env"] == {"DISCORD_TOKEN": REDACTED} and records[3]["note"] == REDACTED
    assert "RuntimeError: 401 Unauthorized for token " + REDACTED in records[4]["exc"]


def test_the_filter_also_protects_plain_text_handlers() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactTokens())
    parent = logging.getLogger("kiji.test.parent")
    parent.addHandler(handler)
    parent.propagate = False
    try:
        logging.getLogger("kiji.test.parent.child").warning("token %s", FAKE_TOKEN)
        try:
            raise ValueError(FAKE_TOKEN)
        except ValueError:
            logging.getLogger("kiji.test.parent.child").exception("boom")
    finally:
        parent.removeHandler(handler)
    assert FAKE_TOKEN not in stream.getvalue()
    assert stream.getvalue().startswith(f"WARNING token {REDACTED}\n")


def test_non_json_values_are_written_as_text(capture) -> None:
    logger, stream = capture
    logger.info("odd", extra={"when": object, "ids": {1, 2}.__len__()})
    (line,) = lines(stream)
    assert line["when"] == "<class 'object'>" and line["ids"] == 2
