"""``KIJI_DB_READ`` through the real CLI: the commands that only read (search, ask, digest, and
chat's answers) read the replica's database, the writers (ingest, delete, chat's votes) write
``KIJI_DB``. Two databases stand for the primary and its replica; they are told apart by an
article only the "replica" holds, so a hit on it was read there."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from index.cli.main import main
from index.store.feedback_store import FeedbackStore
from index.store.store import IndexStore

from .pg import pg_database

SHARED = [
    {"id": "boj", "title": "日銀が政策金利を引き上げ", "published_at": "2026-11-20T09:00:00+09:00",
     "body": "日本銀行は政策金利を0.75%に引き上げると決めました。物価の上昇が続いています。"},
    {"id": "typhoon", "title": "台風が高知県に上陸", "published_at": "2026-11-20T10:00:00+09:00",
     "body": "台風21号は高知県室戸市付近に上陸しました。各地で大雨になっています。"},
]  # fmt: skip
ONLY_ON_REPLICA = {
    "id": "ferry", "title": "離島航路に新しいフェリーが就航", "published_at": "2026-11-21T09:00:00+09:00",
    "body": "港町と離島を結ぶ航路に、新しいフェリーが就航しました。所要時間は40分です。",
}  # fmt: skip
WRITTEN = {
    "id": "museum", "title": "港町美術館で北斎展", "published_at": "2026-11-22T09:00:00+09:00",
    "body": "港町美術館で葛飾北斎の展覧会が始まりました。入場料は一般1500円です。",
}  # fmt: skip


def jsonl(path: Path, records: list[dict]) -> str:
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8"
    )
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return code, out


@pytest.fixture
def databases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, str]]:
    with pg_database() as primary, pg_database() as replica:
        run(capsys, "ingest", "--db", primary, jsonl(tmp_path / "a.jsonl", SHARED))
        run(capsys, "ingest", "--db", replica, jsonl(tmp_path / "b.jsonl", [*SHARED, ONLY_ON_REPLICA]))  # fmt: skip
        monkeypatch.setenv("KIJI_DB", primary)
        monkeypatch.setenv("KIJI_DB_READ", replica)
        yield primary, replica


def articles(url: str) -> int:
    with IndexStore.open(url, create=False) as store:
        return int(store.stats()["articles"])


def search_ids(capsys: pytest.CaptureFixture[str], *argv: str) -> list[str]:
    _, out = run(capsys, "search", "--json", *argv)
    return [h["article_id"] for h in json.loads(out)["hits"]]


def test_readers_read_kiji_db_read_and_writers_write_kiji_db(
    databases: tuple[str, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    primary, replica = databases
    assert search_ids(capsys, "フェリー 就航")[:1] == ["ferry"]  # read from the replica
    assert "ferry" not in search_ids(capsys, "--db", primary, "フェリー 就航")  # --db: one database
    _, out = run(
        capsys, "ask", "--json", "--now", "2026-11-30T09:00+09:00", "フェリーの所要時間は？"
    )
    answer = json.loads(out)
    assert answer["status"] == "answered" and answer["excerpts"][0]["article_id"] == "ferry"
    _, out = run(capsys, "digest", "--json", "--date", "2026-11-21")
    assert "離島航路に新しいフェリーが就航" in out

    run(capsys, "ingest", jsonl(tmp_path / "c.jsonl", [WRITTEN]))  # a writer: KIJI_DB
    assert (articles(primary), articles(replica)) == (3, 3)
    run(capsys, "delete", "boj")
    assert (articles(primary), articles(replica)) == (2, 3)

    # chat answers from the replica and records its vote in KIJI_DB
    monkeypatch.setattr("sys.stdin", io.StringIO("フェリーの所要時間は？\n+\n"))
    monkeypatch.setenv("KIJI_CHAT_HISTORY", "off")
    _, out = run(capsys, "chat")
    assert "離島航路に新しいフェリーが就航" in out
    with IndexStore.open(primary, create=False) as p, IndexStore.open(replica, create=False) as r:
        [voted] = FeedbackStore(p).voted_answers()
        assert voted.question == "フェリーの所要時間は？"
        assert FeedbackStore(r).voted_answers() == []


def test_kiji_db_read_without_a_postgresql_kiji_db_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("KIJI_DB", str(tmp_path / "kiji.db"))
    monkeypatch.setenv("KIJI_DB_READ", "postgresql://postgres@127.0.0.1:5432/replica")
    assert main(["search", "台風"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == (
        "kiji: KIJI_DB_READ (a read replica) needs KIJI_DB to be a postgresql:// URL too; "
        "see README 'Scaling out'\n"
    )
    assert not (tmp_path / "kiji.db").exists()
