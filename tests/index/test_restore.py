"""`kiji restore` / `kiji backup` / `kiji ingest` against what an unlucky operator meets
(issue 12 rows 7, 8, 9): a candidate that only looks like kiji's, a database another process
has open, a directory or a FIFO given as the backup, and a disk that fills up. Real files, real
`kiji` processes, real limits (RLIMIT_FSIZE, and a tiny tmpfs where the kernel lets us mount)."""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.cli.main import main
from index.models import Article
from index.ops.ops import backup
from index.search.search import Searcher
from index.store import dblock
from index.store.schema import SCHEMA_VERSION
from index.store.store import IndexStore
from tests.conftest import REPO

# The messages checked here are the English ones (tests/test_cli_language.py checks both).
pytestmark = pytest.mark.usefixtures("english")

KIJI = [sys.executable, "-m", "index.cli"]


@pytest.fixture
def good(db_path: Path, tokenizer: JapaneseTokenizer, news_articles: list[Article]) -> Path:
    with IndexStore.open(db_path) as s:
        s.add_articles(news_articles, tokenizer)
    return db_path


@pytest.fixture
def good_backup(good: Path, tmp_path: Path) -> Path:
    return backup(good, tmp_path / "good-backup.db")


@pytest.fixture
def big(good: Path, tokenizer: JapaneseTokenizer) -> Path:
    """The same database grown past 600 KB, so that a write limit of 256 KB leaves room for
    SQLite's own files (WAL index) but not for a copy."""
    extra = [
        Article.from_text(
            f"filler-{i}",
            f"市町村の話題{i}",
            f"第{i}地区の住民{i * 7}人が清掃活動に参加しました。" * 40,
        )
        for i in range(250)
    ]
    with IndexStore.open(good) as s:
        s.add_articles(extra, tokenizer)
        s.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert good.stat().st_size > 600_000
    return good


def first_hit(db: Path, tokenizer: JapaneseTokenizer, query: str = "台風") -> str:
    with IndexStore.open(db) as s:
        return Searcher(s, tokenizer).search(query).hits[0].article_id


def leftovers(directory: Path) -> list[str]:
    return sorted(
        p.name for p in directory.iterdir() if ".restoring" in p.name or ".partial" in p.name
    )


def run_kiji(*args: str, limit_bytes: int | None = None, **kw) -> subprocess.CompletedProcess:
    def limit() -> None:
        if limit_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    return subprocess.run(
        [*KIJI, *args], capture_output=True, text=True, timeout=300, preexec_fn=limit, **kw
    )


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("kiji: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]


# --------------------------------------------------------------------------- row 7: full verification


def test_same_tables_other_columns_same_version_is_refused(
    good: Path, tmp_path: Path, tokenizer: JapaneseTokenizer, capsys
) -> None:
    impostor = tmp_path / "impostor.db"
    conn = sqlite3.connect(impostor)
    conn.executescript(
        "CREATE TABLE meta (k, v); CREATE TABLE articles (a, b); CREATE TABLE passages (x);"
        "CREATE TABLE terms (t); CREATE TABLE postings (p);"
        f"PRAGMA user_version = {SCHEMA_VERSION};"
    )
    conn.close()
    assert main(["restore", str(impostor), "--db", str(good), "--yes"]) == 2
    err = capsys.readouterr().err
    assert "failed the checks" in err and "table passages has columns (x)" in err, err
    assert first_hit(good, tokenizer) == "typhoon"  # the good database is untouched
    assert leftovers(tmp_path) == []


def test_a_backup_with_one_renamed_column_is_refused(
    good: Path, good_backup: Path, tmp_path: Path, tokenizer: JapaneseTokenizer, capsys
) -> None:
    conn = sqlite3.connect(good_backup)
    conn.execute("ALTER TABLE articles RENAME COLUMN title TO headline")
    conn.commit()
    conn.close()
    assert main(["restore", str(good_backup), "--db", str(good), "--yes"]) == 2
    assert "table articles has columns" in capsys.readouterr().err
    assert first_hit(good, tokenizer) == "typhoon"


def test_a_backup_whose_postings_disagree_is_refused(
    good: Path, good_backup: Path, tokenizer: JapaneseTokenizer, capsys
) -> None:
    conn = sqlite3.connect(good_backup)
    conn.execute("UPDATE terms SET df = df + 3 WHERE tid IN (SELECT tid FROM terms LIMIT 2)")
    conn.commit()
    conn.close()
    assert main(["restore", str(good_backup), "--db", str(good), "--yes"]) == 2
    assert "live postings" in capsys.readouterr().err
    assert first_hit(good, tokenizer) == "typhoon"


def test_a_good_backup_is_restored_and_verified(
    good: Path, good_backup: Path, tokenizer: JapaneseTokenizer, capsys
) -> None:
    with IndexStore.open(good) as s:
        s.delete_article("typhoon", tokenizer)
    assert main(["restore", str(good_backup), "--db", str(good), "--yes"]) == 0
    assert "verified" in capsys.readouterr().out
    assert first_hit(good, tokenizer) == "typhoon"
    assert leftovers(good.parent) == []


# --------------------------------------------------------------------------- row 8: in use

HOLD = """
import sys
{open}
print("ready", flush=True)
sys.stdin.read()
"""
OPENERS = {
    "kiji store": "from index.store.store import IndexStore; s = IndexStore.open(sys.argv[1])",
    "plain sqlite3": (
        "import sqlite3; c = sqlite3.connect(sys.argv[1]);"
        "c.execute('SELECT count(*) FROM articles').fetchone()"
    ),
}


@pytest.mark.parametrize("opener", sorted(OPENERS))
def test_restore_is_refused_while_another_process_has_the_database_open(
    good: Path, good_backup: Path, tokenizer: JapaneseTokenizer, opener: str
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD.format(open=OPENERS[opener]), str(good)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "ready\n"
        before = good.stat().st_ino
        proc = run_kiji("restore", str(good_backup), "--db", str(good), "--yes")
        assert proc.returncode == 1, proc.stderr
        line = one_line_error(proc)
        assert f"pid {holder.pid} (" in line and "stop it first" in line, line
        assert good.stat().st_ino == before  # not swapped
    finally:
        holder.communicate("", timeout=30)
    proc = run_kiji("restore", str(good_backup), "--db", str(good), "--yes")
    assert proc.returncode == 0, proc.stderr
    assert good.stat().st_ino != before
    assert first_hit(good, tokenizer) == "typhoon"


def test_a_process_opening_during_the_swap_waits_and_sees_the_restored_file(good: Path) -> None:
    code = (
        "import sys; from index.store.store import IndexStore;"
        "print(IndexStore.open(sys.argv[1]).stats()['articles'])"
    )
    with dblock.exclusive(good):
        opener = subprocess.Popen(
            [sys.executable, "-c", code, str(good)], stdout=subprocess.PIPE, text=True, cwd=REPO
        )
        time.sleep(1.0)
        assert opener.poll() is None  # waiting for the restore to finish
    out, _ = opener.communicate(timeout=60)
    assert opener.returncode == 0 and out.strip() == "5"


def test_restore_refuses_in_process_too(good: Path, good_backup: Path) -> None:
    with (
        IndexStore.open(good),
        pytest.raises(dblock.DatabaseInUse, match=f"pid {os.getpid()}"),
        dblock.exclusive(good),
    ):
        pass


# --------------------------------------------------------------------------- row 9: bad inputs, full disks


def test_restore_from_a_directory_a_fifo_a_missing_or_a_non_sqlite_file(
    good: Path, tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    fifo = tmp_path / "pipe.db"
    os.mkfifo(fifo)
    text = tmp_path / "notes.txt"
    text.write_text("not a database\n" * 10)
    cases = {
        tmp_path: "is a directory",
        fifo: "is not a regular file",  # never opened: reading a FIFO would hang
        tmp_path / "missing.db": "does not exist",
        text: "is not a SQLite database",
    }
    for path, reason in cases.items():
        proc = run_kiji("restore", str(path), "--db", str(good), "--yes")
        assert proc.returncode == 2, (path, proc.stderr)
        assert reason in one_line_error(proc)
    assert first_hit(good, tokenizer) == "typhoon"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_restore_from_an_unreadable_file(good: Path, good_backup: Path) -> None:
    good_backup.chmod(0)
    proc = run_kiji("restore", str(good_backup), "--db", str(good), "--yes")
    assert proc.returncode == 2 and "cannot be read" in one_line_error(proc)


def test_backup_into_a_missing_directory(good: Path, tmp_path: Path) -> None:
    proc = run_kiji("backup", str(tmp_path / "nope" / "x.db"), "--db", str(good))
    assert proc.returncode == 1 and "no directory" in one_line_error(proc)


def test_backup_that_hits_the_file_size_limit_leaves_no_partial_file(
    big: Path, tmp_path: Path
) -> None:
    dest = tmp_path / "backups"
    dest.mkdir()
    proc = run_kiji("backup", str(dest), "--db", str(big), limit_bytes=256 * 1024)
    assert proc.returncode == 1, proc.stderr
    line = one_line_error(proc)
    assert "the backup was not written" in line and "partial file was removed" in line
    assert list(dest.iterdir()) == []


def test_restore_whose_copy_hits_the_limit_changes_nothing(
    big: Path, tmp_path: Path, tokenizer: JapaneseTokenizer
) -> None:
    big_backup = backup(big, tmp_path / "big-backup.db")
    with IndexStore.open(big) as s:
        s.delete_article("filler-3", tokenizer)
    good = big
    proc = run_kiji("restore", str(big_backup), "--db", str(good), "--yes", limit_bytes=256 * 1024)
    assert proc.returncode == 1, proc.stderr
    assert "the database is unchanged" in one_line_error(proc)
    assert leftovers(good.parent) == []
    assert first_hit(good, tokenizer) == "typhoon"


def test_ingest_that_hits_the_file_size_limit_is_one_line(good: Path, tmp_path: Path) -> None:
    size = good.stat().st_size + sum(
        Path(f"{good}{s}").stat().st_size for s in ("-wal", "-shm") if Path(f"{good}{s}").exists()
    )
    proc = run_kiji(
        "ingest", str(REPO / "data" / "articles"), "--db", str(good), "--workers", "1",
        limit_bytes=size + 64 * 1024,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    line = one_line_error(proc)
    assert "ingest failed" in line, line
    assert IndexStore.open(good).stats()["articles"] >= 5  # what was there is intact


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-m", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
        capture_output=True,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="cannot mount a tmpfs here (needs root)")
def test_backup_onto_a_full_disk_in_a_real_tiny_tmpfs(big: Path, tmp_path: Path) -> None:
    good = big
    mount = tmp_path / "tiny"
    mount.mkdir()
    script = (
        'mount -t tmpfs -o size=96k tmpfs "$1" || exit 99; shift; '
        '"$@"; rc=$?; echo "left: $(ls -A "$MNT")"; exit $rc'
    )
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", script, "sh", str(mount),
         *KIJI, "backup", str(mount), "--db", str(good)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "MNT": str(mount)},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    line = one_line_error(proc)
    assert "no space left on the device" in line, line
    assert proc.stdout.strip() == "left:"  # the .partial file was removed
