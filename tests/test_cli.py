"""The kiji CLI, run in process through main(argv) and once as a real subprocess."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from index.cli.main import main


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = [
    {
        "id": "n1",
        "url": "https://kiji.example/n1",
        "title": "日銀が利上げ",
        "published_at": "2026-11-20T09:00:00+09:00",
        "body": "日本銀行は政策金利を1.0%に引き上げました。\n円安への対応とされます。",
        "category": "経済",
    },
    {
        "id": "n2",
        "url": "https://kiji.example/n2",
        "title": "台風が上陸",
        "published_at": "2026-11-14T06:00:00+09:00",
        "body": "台風21号が高知県に上陸しました。",
        "source": "test",
    },
    {
        "id": "n0",
        "url": "https://kiji.example/n0",
        "title": "新しい美術館が開館",
        "published_at": "2026-11-12T10:00:00+09:00",
        "body": "港区に新しい美術館が開館しました。",
    },
]


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    lines = [
        json.dumps(GOOD[0], ensure_ascii=False),
        "{not json",
        json.dumps(GOOD[1], ensure_ascii=False),
        json.dumps(
            {"id": "n3", "title": "本文なし", "published_at": "2026-11-20"}, ensure_ascii=False
        ),
        json.dumps(GOOD[2], ensure_ascii=False),
    ]
    return write_jsonl(tmp_path / "news.jsonl", lines)


def test_ingest_reports_bad_lines_and_keeps_good_ones(tmp_path: Path, corpus: Path, capsys) -> None:
    db = tmp_path / "k.db"
    assert main(["ingest", "--db", str(db), "--json", str(corpus)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert (out["added"], out["updated"], out["unchanged"]) == (3, 0, 0)
    wheres = sorted(r["where"] for r in out["rejected"])
    assert wheres == [f"{corpus}:2", f"{corpus}:4"]
    assert all(r["reason"] for r in out["rejected"])
    # a second run changes nothing
    assert main(["ingest", "--db", str(db), "--json", str(corpus)]) == 1
    again = json.loads(capsys.readouterr().out)
    assert (again["added"], again["unchanged"]) == (0, 3)


def test_ingest_gz_and_plain_summary(tmp_path: Path, capsys) -> None:
    gz = tmp_path / "news.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as f:
        for doc in GOOD:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    assert main(["ingest", "--db", str(tmp_path / "k.db"), str(gz)]) == 0
    out = capsys.readouterr().out
    assert "追加 3 " in out and "除外 0 " in out


def test_ingest_options_batch_size_workers_and_nice(tmp_path: Path, corpus: Path, capsys) -> None:
    db = tmp_path / "k.db"
    argv = ["ingest", "--db", str(db), "--json", "--workers", "2", "--batch-size", "1"]
    assert main([*argv, "--nice", "0", str(corpus)]) == 1  # the two bad lines
    out = json.loads(capsys.readouterr().out)
    assert (out["added"], len(out["rejected"])) == (3, 2)
    for bad in (["--nice", "-1"], ["--nice", "20"], ["--batch-size", "0"]):
        assert main(["ingest", "--db", str(tmp_path / "x.db"), *bad, str(corpus)]) == 2
        assert "--nice は0から19" in capsys.readouterr().err
    assert not (tmp_path / "x.db").exists()  # refused before anything was created


def test_search_json_and_stdin(tmp_path: Path, corpus: Path, capsys, monkeypatch) -> None:
    db = tmp_path / "k.db"
    main(["ingest", "--db", str(db), str(corpus)])
    capsys.readouterr()
    assert main(["search", "--db", str(db), "--json", "-k", "1", "金利"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert set(result) == {"query", "took_ms", "hits"}
    hit = result["hits"][0]
    assert {k: hit[k] for k in ("article_id", "url", "title", "published_at")} == {
        "article_id": "n1",
        "url": "https://kiji.example/n1",
        "title": "日銀が利上げ",
        "published_at": "2026-11-20T09:00:00+09:00",
    }
    assert isinstance(hit["passage_id"], int) and hit["score"] > 0 and "1.0%" in hit["text"]

    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("台風\n🎉\n\n円安\n"))
    assert main(["search", "--db", str(db)]) == 1  # one query was unsearchable
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [x["query"] for x in lines] == ["台風", "🎉", "円安"]
    assert lines[0]["hits"][0]["article_id"] == "n2"
    assert lines[1]["hits"] == [] and "error" in lines[1]


def test_stats(tmp_path: Path, corpus: Path, capsys) -> None:
    db = tmp_path / "k.db"
    main(["ingest", "--db", str(db), str(corpus)])
    capsys.readouterr()
    assert main(["stats", "--db", str(db), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert (
        stats["articles"] == 3
        and stats["passages"] >= 2
        and stats["terms"] > 5
        and stats["size_bytes"] > 0
    )


def test_usage_and_input_errors_exit_2(tmp_path: Path, capsys) -> None:
    assert main(["search", "--db", str(tmp_path / "none.db"), "金利"]) == 2
    assert "データベースがありません" in capsys.readouterr().err
    assert main(["ingest", "--db", str(tmp_path / "k.db"), str(tmp_path / "missing.jsonl")]) == 2
    assert main(["frobnicate"]) == 2
    bogus = tmp_path / "bogus.db"
    bogus.write_text("not sqlite")
    assert main(["stats", "--db", str(bogus)]) == 2
    assert "は SQLite のデータベースではありません" in capsys.readouterr().err


def test_console_script_runs(tmp_path: Path, corpus: Path) -> None:
    db = tmp_path / "k.db"
    env_db = {"KIJI_DB": str(db), "PATH": str(Path(sys.executable).parent)}
    subprocess.run(
        [sys.executable, "-m", "index.cli", "ingest", str(corpus)],
        env=env_db,
        capture_output=True,
        check=False,
    )
    done = subprocess.run(
        [sys.executable, "-m", "index.cli", "search", "--json", "台風"],
        env=env_db,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)["hits"][0]["article_id"] == "n2"
