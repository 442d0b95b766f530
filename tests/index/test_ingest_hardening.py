"""Hostile and unlucky inputs to `kiji ingest` (issue 12): gzip bombs, bad records, FIFOs,
documentation files, control characters, and a killed ingest's workers. Real files, real
SQLite, real Sudachi, the real CLI and real signals."""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.cli.main import main
from index.ingest.ingest import ingest_paths, ingest_stream
from index.ingest.limits import IngestLimits
from index.models import Article
from index.store.store import IndexStore
from tests.conftest import REPO, make_article


def record(i: int, **over: str) -> dict:
    rec = {
        "id": f"r{i}",
        "title": f"市議会が新しい図書館の計画を承認{i}",
        "body": f"市議会は第{i}回の会合で、新しい図書館の建設計画を承認した。来年春に着工する。",
        "published_at": "2026-11-20T09:00:00+09:00",
    }
    rec.update(over)
    return rec


def jsonl(*records: dict) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


def run_ingest(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict]:
    code = main(["ingest", "--json", "--workers", "0", *args])
    out = capsys.readouterr().out
    return code, json.loads(out)


def titles(db: Path) -> list[str]:
    with IndexStore.open(db, create=False) as store:
        return [r[0] for r in store.conn.execute("SELECT title FROM articles ORDER BY id")]


# --- rows 2 and 3: gzip bombs --------------------------------------------------------------------


def test_gzip_bomb_of_empty_objects_is_capped_and_rejections_are_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row 2 scaled down: 3 MB of `{}` lines (300 MB in the issue) with a 1 MB cap; the first
    100 rejections are kept and the rest counted; the valid lines before the cap are kept."""
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(jsonl(record(1), record(2)) + b"{}\n" * 1_000_000))
    monkeypatch.setenv("KIJI_INGEST_MAX_DECOMPRESSED", "1M")
    monkeypatch.setenv("KIJI_INGEST_KEEP_REJECTIONS", "100")
    started = time.monotonic()
    code, out = run_ingest(capsys, str(bomb), "--db", str(tmp_path / "k.db"))
    assert time.monotonic() - started < 60  # about 5 s on an idle machine
    assert code == 1 and out["added"] == 2
    assert len(out["rejected"]) == 100  # memory bounded: the rest only counted
    # every `{}` line up to the cap was rejected, then the file was cut off with one reason
    assert out["rejected_count"] > 300_000
    assert out["rejected"][0]["reason"] == "missing field 'id'"
    report = ingest_paths(
        IndexStore.open(tmp_path / "direct.db"),
        JapaneseTokenizer(),
        [bomb],
        workers=0,
        limits=IngestLimits(max_decompressed=1024 * 1024, keep_rejections=100),
    )
    assert len(report.rejected) == 100 and report.rejected_count == out["rejected_count"]
    assert report.rejections_dropped == report.rejected_count - 100


def test_gzip_bomb_cut_off_with_a_clear_reason(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.jsonl.gz"
    bomb.write_bytes(gzip.compress(jsonl(record(1)) + b"\n" * (3 * 1024 * 1024)))
    limits = IngestLimits(max_decompressed=1024 * 1024)
    report = ingest_paths(
        IndexStore.open(tmp_path / "k.db"), JapaneseTokenizer(), [bomb], workers=0, limits=limits
    )
    assert report.added == 1
    [r] = report.rejected
    assert r.where.startswith(str(bomb) + ":")
    assert "decompressed size exceeds the limit of 1,048,576 bytes" in r.reason
    assert "KIJI_INGEST_MAX_DECOMPRESSED" in r.reason


@pytest.mark.parametrize("name", ["blank.jsonl.gz", "page.html.gz", "notes.txt.gz"])
def test_gzip_bomb_refused_by_ratio_with_default_caps(tmp_path: Path, name: str) -> None:
    """Row 3 scaled down: 12 MB of blank lines (100 MB / 1.2 GB in the issue) from 12 KB of gzip,
    with the default caps: refused as a bomb once the first 1 MB came out, in seconds."""
    bomb = tmp_path / name
    bomb.write_bytes(gzip.compress(b"\n" * (12 * 1024 * 1024), compresslevel=9))
    assert bomb.stat().st_size < 20_000
    started = time.monotonic()
    report = ingest_paths(
        IndexStore.open(tmp_path / "k.db"),
        JapaneseTokenizer(),
        [bomb],
        fmt="jsonl" if name.startswith("blank") else None,
        workers=0,
        limits=IngestLimits(),
    )
    took = time.monotonic() - started
    [r] = report.rejected
    assert "a gzip bomb" in r.reason and "KIJI_INGEST_MAX_GZIP_RATIO" in r.reason, r.reason
    assert took < 10, took


def test_bad_cap_values_are_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "a.jsonl"
    src.write_bytes(jsonl(record(1)))
    monkeypatch.setenv("KIJI_INGEST_MAX_DECOMPRESSED", "lots")
    assert main(["ingest", str(src), "--db", str(tmp_path / "k.db")]) == 2
    assert "KIJI_INGEST_MAX_DECOMPRESSED='lots' はサイズではありません" in capsys.readouterr().err


# --- rows 4 and 5: one bad record costs only itself --------------------------------------------


def test_lone_surrogate_rejects_only_its_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "a.jsonl"
    lines = [json.dumps(record(i)) for i in range(5)]
    lines[2] = json.dumps(record(2)).replace('"title": "', '"title": "t\\ud800', 1)
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "k.db"
    code = main(
        ["ingest", "--json", "--workers", "2", "--batch-size", "2", str(src), "--db", str(db)]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 1 and out["added"] == 4
    [r] = out["rejected"]
    assert r["where"] == f"{src}:3"
    assert "field 'title' is not valid Unicode (a lone surrogate \\ud800)" in r["reason"]
    assert len(titles(db)) == 4


@pytest.mark.parametrize("workers", [0, 2])
def test_a_record_that_cannot_be_stored_never_takes_its_batch_down(
    store: IndexStore, tokenizer: JapaneseTokenizer, workers: int
) -> None:
    """The worker-side guard: an Article made by any code path with text that cannot be
    encoded is rejected by id; the valid articles of the same chunk and batch are written."""
    good = [
        make_article(f"g{i}", f"台風{i}号が接近", [f"台風{i}号が近づいています。"])
        for i in range(6)
    ]
    bad = make_article("bad", "t\ud800", ["本文です。"])
    items: list[Article] = [*good[:3], bad, *good[3:]]
    report = ingest_stream(store, tokenizer, items, workers=workers, batch_size=100)
    assert report.added == 6
    [r] = report.rejected
    assert r.where == "article 'bad'" and "lone surrogate \\ud800" in r.reason
    assert store.stats()["articles"] == 6


@pytest.mark.parametrize("name", ["a.jsonl", "noext"])
@pytest.mark.parametrize(
    "bad", [b'{"id": "x\x00y"}', b"\xff\xfe\xff garbage \x80\x81"], ids=["nul", "not-utf8-cp932"]
)
def test_one_bad_jsonl_line_is_a_line_error_not_a_binary_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, bad: bytes
) -> None:
    src = tmp_path / name
    lines = jsonl(record(1)).rstrip(b"\n"), bad, jsonl(record(3)).rstrip(b"\n")
    src.write_bytes(b"\n".join(lines) + b"\n")
    code, out = run_ingest(capsys, str(src), "--db", str(tmp_path / "k.db"))
    assert (code, out["added"]) == (1, 2)
    [r] = out["rejected"]
    assert r["where"] == f"{src}:2" and r["reason"].startswith("binary or unknown encoding")


# --- rows 10 and 17: what a directory walk passes over ------------------------------------------


def test_fifo_in_a_directory_is_skipped_with_a_note(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_bytes(jsonl(record(1)))
    os.mkfifo(corpus / "pipe.jsonl")
    proc = subprocess.run(
        [sys.executable, "-m", "index.cli", "ingest", "--workers", "0", str(corpus), "--db",
         str(tmp_path / "k.db")],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"スキップ  {corpus / 'pipe.jsonl'}: 名前付きパイプ（FIFO）" in proc.stderr
    assert "追加 1 " in proc.stdout


def test_documentation_files_are_not_articles(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = REPO / "data"
    db = tmp_path / "k.db"
    code, out = run_ingest(capsys, str(data), "--db", str(db))
    assert code == 0 and out["rejected"] == []
    skipped = {Path(s["where"]).name: s["reason"] for s in out["skipped"]}
    assert "README.md" in skipped and "documentation" in skipped["README.md"]
    assert out["added"] == len(list((data / "articles").glob("*.txt")))
    with IndexStore.open(db, create=False) as store:
        assert store.conn.execute(
            "SELECT count(*) FROM articles WHERE id = 'README'"
        ).fetchone() == (0,)

    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    for name in ("README", "LICENSE-MIT", "CHANGELOG.md", "readme_ja.txt", "notes.md",
                 "COPYING.txt", "sub/CONTRIBUTING.rst"):  # fmt: skip
        (corpus / name).write_text("これは説明です\n本文。\n", encoding="utf-8")
    (corpus / "sub" / "news.jsonl").write_bytes(jsonl(record(1)))
    code, out = run_ingest(capsys, str(corpus), "--db", str(tmp_path / "c.db"))
    assert (code, out["added"], len(out["skipped"])) == (0, 1, 7)
    # a documentation file named explicitly is read, in the format it has
    code, out = run_ingest(capsys, str(corpus / "notes.md"), "--db", str(tmp_path / "c.db"))
    assert (code, out["added"]) == (0, 1)


# --- row 12: control, bidi and zero-width characters ---------------------------------------------

DIRTY = "\x07警報\x1b[31m発令\x1b[0m\u202etxt.exe\u200b\x85"


def test_control_characters_stripped_at_ingest_in_every_format(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "a.jsonl").write_bytes(
        jsonl(record(1, title=DIRTY, body="本文\x1b[2Jです。\u2066"))
    )
    # A stray escape in a real-sized text file is stripped; the file is not taken for binary.
    paragraphs = [f"第{i}報：市は大雨警報を発令し、川の水位が上がっている地区の住民に避難を呼びかけた。"
                  "気象台は土砂災害に警戒するよう求めている。" for i in range(8)]  # fmt: skip
    (tmp_path / "b.txt").write_text(
        f"{DIRTY}\n\n" + "\n".join(paragraphs).replace("。", "。\u202e", 1) + "\n",
        encoding="utf-8",
    )
    (tmp_path / "c.html").write_text(
        f"<html><head><title>{DIRTY}</title></head><body><article><h1>{DIRTY}</h1>"
        + "".join(f"<p>{p}</p>" for p in paragraphs)
        + "</article></body></html>",
        encoding="utf-8",
    )
    db = tmp_path / "k.db"
    code, out = run_ingest(capsys, str(tmp_path / "a.jsonl"), str(tmp_path / "b.txt"),
                           str(tmp_path / "c.html"), "--db", str(db))  # fmt: skip
    assert (code, out["added"]) == (0, 3), out
    assert titles(db) == ["警報発令txt.exe"] * 3
    with IndexStore.open(db, create=False) as store:
        bodies = [r[0] for r in store.conn.execute("SELECT body FROM articles")]
    assert not any(c in b for b in bodies for c in "\x1b\x07\u202e\u2066\u200b")


def test_terminal_output_escapes_what_an_older_database_holds(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Text stored before stripping existed is printed escaped by search, ask and digest."""
    db = tmp_path / "k.db"
    src = tmp_path / "a.jsonl"
    src.write_bytes(jsonl(record(1, published_at="2026-11-20T09:00:00+09:00")))
    assert main(["ingest", "--workers", "0", str(src), "--db", str(db)]) == 0
    with IndexStore.open(db) as store:  # what an older kiji stored as-is
        store.conn.execute("UPDATE articles SET title = ?", (DIRTY + "図書館",))
    capsys.readouterr()
    outputs = []
    for argv in (["search", "図書館"], ["ask", "図書館の建設計画はどうなった？"],
                 ["digest", "--date", "2026-11-20"]):  # fmt: skip
        main([*argv, "--db", str(db)])
        outputs.append(capsys.readouterr().out)
    for out in outputs:
        assert "警報" in out, out
        assert not any(c in out for c in "\x07\x1b\u202e\u200b\x85"), repr(out)
        assert "\\x1b[31m" in out and "\\u202e" in out


# --- row 11: kill -9 of the ingest ends its workers ----------------------------------------------


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.add(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_the_ingest_is_killed(tmp_path: Path) -> None:
    """`kiji ingest` reads a pipe we hold open, so it sits between batches with its workers
    started; SIGKILL it and its workers must go too instead of waiting forever."""
    pipe = tmp_path / "feed.jsonl"
    os.mkfifo(pipe)
    proc = subprocess.Popen(
        [sys.executable, "-m", "index.cli", "ingest", "--workers", "2", "--batch-size", "1",
         str(pipe), "--db", str(tmp_path / "k.db")],
        cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    workers: set[int] = set()
    try:
        fd = -1
        deadline = time.monotonic() + 60
        while fd < 0 and time.monotonic() < deadline:  # never block if kiji fails to open it
            try:
                fd = os.open(pipe, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                time.sleep(0.05)
        assert fd >= 0, "kiji never opened the pipe"
        os.set_blocking(fd, True)
        with os.fdopen(fd, "wb") as writer:
            # more than the reader's buffers (8 KB head, 64 KB lines) so that articles flow
            writer.write(jsonl(*(record(i) for i in range(1000))))
            writer.flush()
            deadline = time.monotonic() + 60
            while len(workers) < 2 and time.monotonic() < deadline:
                workers = _children(proc.pid)
                time.sleep(0.1)
            assert len(workers) >= 2, "the workers never started"
            proc.send_signal(signal.SIGKILL)
            proc.wait(10)
            deadline = time.monotonic() + 10
            while any(_alive(w) for w in workers) and time.monotonic() < deadline:
                time.sleep(0.1)
            left = [w for w in workers if _alive(w)]
            assert left == [], f"workers {left} outlived their parent"
    finally:
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
