"""`kiji digest` run in process through a real argparse parser and a real database file."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from index.cli import digest as cli_digest
from index.store.store import IndexStore
from tests.index.test_digest import RATE, corpus


@pytest.fixture
def db(tmp_path: Path, tokenizer) -> Path:
    path = tmp_path / "index.db"
    with IndexStore.open(path) as store:
        assert store.add_articles(corpus(), tokenizer).ok
    return path


def run(db: Path, *argv: str, now: datetime | None = None) -> int:
    parser = argparse.ArgumentParser(prog="kiji")
    sub = parser.add_subparsers(dest="command", required=True)
    cli_digest.register(sub)
    args = parser.parse_args(["digest", *argv])
    args.lang = "ja"  # index/cli/main.py sets it from LANG
    args.db = db
    if now is not None:
        args.now = now
    return args.handler(args)


def test_json(db, capsys):
    assert run(db, "--date", "2026-11-13", "--json", "--category", "経済", "--max", "2") == 0
    out = json.loads(capsys.readouterr().out)
    assert out == {
        "date": "2026-11-13",
        "tz": "Asia/Tokyo",
        "sections": [
            {
                "name": "経済",
                "items": [
                    {
                        "article_id": "rate",
                        "title": RATE,
                        "url": "https://kiji.example/a/rate",
                        "published_at": "2026-11-13T10:00:00+09:00",
                        "summary": "日本銀行は13日の金融政策決定会合で追加利上げを決めました。"
                        "政策金利は0.75%程度になります。",
                    },
                    {
                        "article_id": "budget",
                        "title": "補正予算案が閣議決定、総額13兆円規模",
                        "url": "https://kiji.example/a/budget",
                        "published_at": "2026-11-13T09:00:00+09:00",
                        "summary": "政府は13日、総額13兆円規模の補正予算案を閣議決定しました。"
                        "物価高対策が柱です。",
                    },
                ],
            }
        ],
    }


def test_json_in_another_zone(db, capsys):
    assert run(db, "--date", "2026-11-13", "--tz", "UTC", "--json") == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tz"] == "UTC"
    times = [i["published_at"] for s in out["sections"] for i in s["items"]]
    assert times and all(t.startswith("2026-11-13T") and t.endswith("+00:00") for t in times)


def test_markdown(db, capsys):
    assert run(db, "--date", "2026-11-13", "--markdown") == 0
    out = capsys.readouterr().out
    assert out.startswith("# ニュースダイジェスト 2026-11-13（Asia/Tokyo）\n")
    assert "## 経済（3件）" in out
    assert f"- **[{RATE}](<https://kiji.example/a/rate>)** — 10:00" in out
    assert out.index("## 経済") < out.index("## テクノロジー") < out.index("## その他")


def test_plain_text_default(db, capsys):
    assert run(db, "--date", "2026-11-13") == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "ニュースダイジェスト 2026-11-13（Asia/Tokyo）: 6件"
    assert f"・10:00 {RATE}" in out
    assert "  https://kiji.example/a/rate" in out


def test_empty_day_is_exit_0_with_a_message(db, capsys):
    assert run(db, "--date", "2026-12-25") == 0
    assert (
        capsys.readouterr().out.strip() == "2026-12-25（Asia/Tokyo）に公開された記事はありません。"
    )
    assert run(db, "--date", "2026-12-25", "--json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "date": "2026-12-25",
        "tz": "Asia/Tokyo",
        "sections": [],
    }


def test_date_defaults_to_today_in_the_zone(db, capsys):
    # 15:30 UTC on the 12th is 00:30 on the 13th in Tokyo.
    now = datetime(2026, 11, 12, 15, 30, tzinfo=UTC)
    assert run(db, "--json", now=now) == 0
    assert json.loads(capsys.readouterr().out)["date"] == "2026-11-13"
    assert run(db, "--json", "--tz", "UTC", now=now) == 0
    assert json.loads(capsys.readouterr().out)["date"] == "2026-11-12"


@pytest.mark.parametrize(
    "argv",
    [
        ("--date", "2026-13-01"),
        ("--date", "20261113"),
        ("--date", "yesterday"),
        ("--tz", "Mars/Olympus"),
        ("--tz", "../etc"),
        ("--max", "0"),
    ],
)
def test_bad_input_is_exit_2(db, capsys, argv):
    assert run(db, *argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("kiji digest: ")


def test_missing_database_is_exit_1(tmp_path, capsys):
    assert run(tmp_path / "none.db", "--date", "2026-11-13") == 1
    assert "no database" in capsys.readouterr().err
