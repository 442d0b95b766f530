"""The index on PostgreSQL through the real CLI: ``--db postgresql://…`` ingests the sample
articles and answers as the SQLite file does, ``kiji migrate`` copies both ways and verifies,
and an unreachable server is one line (backup, restore and doctor: tests/test_pg_ops.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import numpy as np
import psycopg
import pytest

from index.cli.main import main
from index.config import SAMPLE_ARTICLES
from index.errors import DatabaseError
from index.store import pair_dfs
from index.store.pair_dfs import PAIR_BASE
from index.store.schema import SCHEMA_VERSION
from index.store.store import Conn, IndexStore

from .pg import pg_database

QUESTIONS = ("日銀はなぜ利上げしたのですか", "台風21号はどこに上陸した？", "補正予算の規模は")


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_database() as url:
        yield url


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def answers(capsys: pytest.CaptureFixture[str], db: str) -> list[dict]:
    found = []
    for q in QUESTIONS:
        code, out, _ = run(
            capsys, "ask", "--db", db, "--json", "--now", "2026-11-30T09:00+09:00", q
        )
        assert code == 0
        answer = json.loads(out)
        answer.pop("took_ms")  # the time it took differs; everything else must not
        found.append(answer)
    return found


def hits(capsys: pytest.CaptureFixture[str], db: str) -> list[list[tuple]]:
    found = []
    for q in QUESTIONS:
        code, out, _ = run(capsys, "search", "--db", db, "--json", "-k", "10", q)
        assert code == 0
        found.append(
            [(h["passage_id"], h["article_id"], h["score"]) for h in json.loads(out)["hits"]]
        )
    return found


def analyzed(url: str) -> set[str]:
    """The tables of ``url`` ANALYZE has run on (by hand, not by autovacuum)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
        ).fetchall()
    return {r[0] for r in rows}


def test_ingest_and_ask_on_postgresql_answer_as_sqlite(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    sqlite = str(tmp_path / "kiji.db")
    for db in (sqlite, pg_url):
        code, out, err = run(capsys, "ingest", "--db", db, "--workers", "1", str(SAMPLE_ARTICLES))
        assert code == 0, err
    assert {"postings", "terms", "passages", "articles"} <= analyzed(pg_url)  # after the load
    assert answers(capsys, pg_url) == answers(capsys, sqlite)
    assert hits(capsys, pg_url) == hits(capsys, sqlite)
    code, out, _ = run(capsys, "stats", "--db", pg_url, "--json")
    stats = json.loads(out)
    _, out2, _ = run(capsys, "stats", "--db", sqlite, "--json")
    same = ("articles", "stubs", "passages", "terms", "segments", "tombstones", "schema_version")
    assert {k: stats[k] for k in same} == {k: json.loads(out2)[k] for k in same}
    code, out, err = run(capsys, "check", "--db", pg_url, "--json")
    assert code == 0 and json.loads(out)["ok"], out + err


def test_small_batches_appended_to_main_and_merged_answer_as_sqlite(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Batches of 3: the first is main, the next ones are appended to main's rows while they
    are large beside it, then small segments, which settle() merges into main (main's rows
    rewritten in one statement per chunk on PostgreSQL): the same hits and a clean check."""
    sqlite = str(tmp_path / "kiji.db")
    for db in (sqlite, pg_url):
        code, out, err = run(
            capsys, "ingest", "--db", db, "--workers", "0", "--batch-size", "3",
            str(SAMPLE_ARTICLES),
        )  # fmt: skip
        assert code == 0, err
    assert hits(capsys, pg_url) == hits(capsys, sqlite)
    for db in (sqlite, pg_url):
        code, out, err = run(capsys, "check", "--db", db, "--json")
        assert code == 0 and json.loads(out)["ok"], out + err


def test_migrate_round_trip_sqlite_postgresql_sqlite(
    tmp_path: Path, pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    first, back = str(tmp_path / "a.db"), str(tmp_path / "b.db")
    assert run(capsys, "ingest", "--db", first, "--workers", "1", str(SAMPLE_ARTICLES))[0] == 0
    run(capsys, "delete", "--db", first, "20261115-typhoon-21-kochi")  # a tombstone to carry
    code, out, err = run(capsys, "migrate", first, pg_url, "--queries", "10")
    assert code == 0, err
    assert "kiji check" in out
    assert {"postings", "terms", "passages", "articles"} <= analyzed(pg_url)
    code, out, err = run(capsys, "migrate", pg_url, back, "--queries", "10")
    assert code == 0, err
    assert hits(capsys, first) == hits(capsys, pg_url) == hits(capsys, back)
    # ids continue after the highest ever handed out, on every copy
    more = tmp_path / "more.jsonl"
    more.write_text(
        json.dumps(
            {
                "id": "extra",
                "title": "新しい記事",
                "body": "台風の被害が広がりました。",
                "url": "",
                "published_at": "2026-11-29T09:00:00+09:00",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    for db in (first, pg_url, back):
        assert run(capsys, "ingest", "--db", db, str(more))[0] == 0
    assert hits(capsys, first) == hits(capsys, pg_url) == hits(capsys, back)
    code, _, err = run(capsys, "migrate", first, pg_url)
    assert (code == 2 and "already holds an index" in err) or "すでに記事のある索引" in err


def test_an_unreachable_server_is_one_line_without_the_password(
    capsys: pytest.CaptureFixture[str], english: None
) -> None:
    url = "postgresql://postgres:secret@127.0.0.1:1/kiji"
    code, out, err = run(capsys, "search", "--db", url, "台風")
    assert code == 2 and out == ""
    assert err.startswith("kiji: cannot connect to PostgreSQL at postgres@127.0.0.1:1/kiji")
    assert "secret" not in err and len(err.splitlines()) == 1


def test_a_schema_3_index_on_postgresql_moves_its_signal_postings_into_vectors(
    pg_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """The schema 3 -> 4 step on PostgreSQL: the fusion signal terms' inverted postings become
    one vector per passage; the same hits, a clean check, no signal postings left."""
    code, out, err = run(capsys, "ingest", "--db", pg_url, "--workers", "1", str(SAMPLE_ARTICLES))
    assert code == 0, err
    before = hits(capsys, pg_url)
    with psycopg.connect(pg_url) as conn:  # back to schema 3: the vectors inverted
        # (and the word pairs in the terms table with ids of its own, as before schema 5)
        dfs = pair_dfs.read_all(cast(Conn, conn))
        used = np.flatnonzero(dfs).tolist()
        top = conn.execute("SELECT max(tid) FROM terms").fetchone()
        assert top is not None and len(used) > 50
        new_tid = {PAIR_BASE + b: top[0] + 1 + i for i, b in enumerate(used)}
        entries: dict[int, list[tuple[int, int]]] = {}
        for pid, tids, tfs in conn.execute("SELECT pid, tids, tfs FROM signal_docs"):
            pairs = zip(
                np.frombuffer(tids, "<i4").tolist(), np.frombuffer(tfs, "<u2").tolist(), strict=True
            )
            for tid, tf in pairs:
                entries.setdefault(new_tid.get(tid, tid), []).append((pid, tf))
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO terms (tid, term, df) VALUES (%s, %s, %s)",
                [(new_tid[PAIR_BASE + b], pair_dfs.term_of(b), int(dfs[b])) for b in used],
            )
        conn.execute("DROP TABLE pair_dfs")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO postings (tid, seg, ids, tfs) VALUES (%s, 0, %s, %s)",
                [
                    (
                        tid,
                        np.array([p for p, _ in sorted(e)], dtype="<i4").tobytes(),
                        np.array([f for _, f in sorted(e)], dtype="<u2").tobytes(),
                    )
                    for tid, e in entries.items()
                ],
            )
        conn.execute("DROP TABLE signal_docs")
        conn.execute("DELETE FROM meta WHERE key IN ('main_bytes', 'seg_bytes')")
        conn.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    assert len(entries) > 100
    with pytest.raises(DatabaseError) as refused:  # a read replica cannot migrate: says so
        IndexStore.open(pg_url, create=False, readonly=True)
    assert "kiji stats --db URL" in str(refused.value)
    assert hits(capsys, pg_url) == before  # opening it migrated it
    with psycopg.connect(pg_url) as conn:
        version = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(SCHEMA_VERSION),)
        left = conn.execute(
            "SELECT count(*) FROM postings WHERE tid = ANY(%s)", (list(entries),)
        ).fetchone()
        assert left == (0,)
        assert conn.execute(  # the word pairs' dfs: the array again, as ingested
            "SELECT count(*) FROM terms WHERE substr(term, 1, 1) = chr(2)"
        ).fetchone() == (0,)
        assert pair_dfs.read_all(cast(Conn, conn)).tolist() == dfs.tolist()
    code, out, err = run(capsys, "check", "--db", pg_url, "--json")
    assert code == 0 and json.loads(out)["ok"], out + err


def test_copy_text_rows_read_back_as_written() -> None:
    """insert_rows writes COPY's text format itself: every value it writes reads back exactly
    (escapes, control and astral characters, NULL, bytea, floats), and a value of another type
    (here numpy's) goes through psycopg's own adaptation in the same COPY."""
    from index.store.pg.store import copy_line, copy_text

    rows = [
        (1, "a\\b\tc\nd\re", None, b"\x00\x01\xff\\", 1732924800.25),
        (2, "\x01東京\x02𠮷😀", "", b"", -0.0),
        (3, "\\N", "\\", bytes(range(256)), 1e-300),
        (np.int64(4), "numpy", "x", b"y", 2.5),
    ]
    assert copy_line(rows[3]) is None and copy_line(rows[0]) is not None
    # column by column, the same text as row by row; a column of another type: not at all
    assert copy_text(rows[:3]) == "".join(copy_line(r) or "" for r in rows[:3])
    assert copy_text(rows) is None and copy_text([]) == ""
    assert copy_text([(1, None), (None, "x")]) == "1\t\\N\n\\N\tx\n"
    with pg_database() as url:
        store = IndexStore.open(url)
        try:
            with psycopg.connect(url, autocommit=True) as c:
                c.execute(
                    "CREATE TABLE odd (i bigint, s text, n text, b bytea, f double precision)"
                )
            with store.transaction() as conn:  # column by column, then row by row
                store.insert_rows(conn, "odd", ("i", "s", "n", "b", "f"), rows[:3])
                store.insert_rows(conn, "odd", ("i", "s", "n", "b", "f"), rows[3:])
            with psycopg.connect(url) as c:
                got = c.execute("SELECT i, s, n, b, f FROM odd ORDER BY i").fetchall()
        finally:
            store.close()
    assert got == [tuple(int(v) if isinstance(v, np.integer) else v for v in r) for r in rows]
