"""Bytes that are not UTF-8 in a query (an argument, or one line of a stdin batch): an error for
that line and the batch goes on (issue 12 row 6). Real `kiji` processes, real index."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.cli.user_input import input_lines, utf8_problem
from index.store.store import IndexStore

KIJI = [sys.executable, "-m", "index.cli"]


@pytest.fixture
def db(news_store: IndexStore, db_path: Path) -> Path:
    news_store.close()
    return db_path


def kiji(*args: str | bytes, stdin: bytes = b"", env_locale: str = "C.UTF-8"):
    import os

    env = {**os.environ, "LC_ALL": env_locale, "PYTHONUTF8": "0"}
    return subprocess.run([*KIJI, *args], input=stdin, capture_output=True, env=env, timeout=120)


@pytest.mark.parametrize("locale", ["C.UTF-8", "C"])
def test_search_stdin_batch_goes_on_after_an_invalid_line(db: Path, locale: str) -> None:
    proc = kiji(
        "search",
        "--db",
        str(db),
        stdin="台風\n".encode() + b"\xff\xfe\x80\n" + "円安\n".encode(),
        env_locale=locale,
    )
    assert proc.returncode == 1, proc.stderr
    assert b"Traceback" not in proc.stderr
    first, bad, last = (json.loads(line) for line in proc.stdout.decode().splitlines())
    assert first["hits"] and first["hits"][0]["article_id"] == "typhoon"
    assert (
        bad["hits"] == [] and "2 行目は UTF-8 ではありません（0 バイト目が 0xff）" in bad["error"]
    )
    assert last["query"] == "円安" and last["hits"][0]["article_id"] == "yen"


def test_query_argument_that_is_not_utf8_is_refused_with_a_message(db: Path) -> None:
    for args in (
        ("search", "--db", str(db), "台風".encode() + b"\xff"),
        ("ask", "--db", str(db), b"\xe5\x8f"),
        ("delete", "--db", str(db), b"id-\xff"),  # any text argument, not only queries
    ):
        proc = kiji(*args)
        assert proc.returncode == 2, (args, proc.stderr)
        err = proc.stderr.decode()
        assert "Traceback" not in err and "UTF-8 ではありません（" in err, err
    assert IndexStore.open(db).stats()["articles"] == 5  # nothing was deleted


def test_chat_skips_an_invalid_line_and_answers_the_next(db: Path) -> None:
    proc = kiji(
        "chat", "--db", str(db), stdin=b"\xc3\x28\n" + "台風21号はどこに上陸した？\n".encode()
    )
    assert proc.returncode == 0, proc.stderr
    assert "1 行目は UTF-8 ではありません" in proc.stderr.decode()
    assert "室戸市" in proc.stdout.decode()


def test_input_lines_on_text_and_binary_streams() -> None:
    lines = list(input_lines(io.BytesIO(b"a\r\n\xff\n\xe3\x81\x82")))
    assert [(x.text, x.error is None) for x in lines] == [
        ("a", True),
        ("\ufffd", False),
        ("あ", True),
    ]
    text = list(input_lines(io.StringIO("ok\nx\udcff\n"), "en"))
    assert (
        text[0].error is None
        and text[1].error == "line 2 is not valid UTF-8 (byte 0xff at character 1)"
    )
    assert utf8_problem("\ud800", "en") == "holds a lone surrogate (U+D800 at character 0)"
    assert utf8_problem("\ud800") == "対になっていないサロゲートがあります（0 文字目に U+D800）"
    assert utf8_problem("日本") is None
