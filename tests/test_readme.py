"""The README stays true: its offline code blocks are run against the real CLI and the bundled
data/ (real SudachiPy, real SQLite files in tmp_path; nothing touches the network).

Answers and excerpts are tuned by others all the time, so answers are checked for their structure,
their status and the article they cite, not for exact excerpt text or scores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
CI = (REPO / ".ci" / "run").read_text(encoding="utf-8")
INTRO_EXPECTED_ARTICLE = "20261120-boj-rate-hike"  # the article that answers the intro question


def blocks(section: str | None = None, lang: str | None = None) -> list[str]:
    """The fenced code blocks of the README (of one ``## section``, of one language)."""
    text = README
    if section is not None:
        start = README.index(f"\n## {section}\n")
        end = README.find("\n## ", start + 1)
        text = README[start : end if end != -1 else None]
    found = re.findall(r"^ *```(\w*)\n(.*?)^ *```$", text, flags=re.M | re.S)
    return [body for kind, body in found if lang is None or kind == lang]


def block_starting(prefix: str) -> str:
    [body] = [b for b in blocks() if b.lstrip().startswith(prefix)]
    return body


def run_kiji(
    *argv: str, cwd: Path, env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess:
    """The real console entry point in a child process (what `kiji` runs)."""
    code = "import sys; from bot.cli import main; sys.exit(main())"
    return subprocess.run(
        [sys.executable, "-c", code, *argv],
        input=stdin,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def clean_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "KIJI_"))}
    env.update(HOME=str(tmp), XDG_DATA_HOME=str(tmp / "share"), KIJI_CHAT_HISTORY="off")
    return env


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The quick start's main job: `kiji` with no DISCORD_TOKEN, fed the README's chat question.

    Returns the database it built from data/articles and what it printed."""
    tmp = tmp_path_factory.mktemp("quick")
    question = chat_question()
    done = run_kiji(cwd=tmp, env=clean_env(tmp), stdin=question + "\n")
    assert done.returncode == 0, done.stderr
    db = tmp / "share" / "kiji" / "kiji.db"
    assert db.exists()
    return db, done.stdout


@pytest.fixture
def sample_db(quick_start: tuple[Path, str], monkeypatch: pytest.MonkeyPatch) -> Path:
    db, _ = quick_start
    monkeypatch.setenv("KIJI_DB", str(db))
    monkeypatch.delenv("KIJI_TZ", raising=False)
    return db


def chat_transcript() -> str:
    return block_starting("データベース")


def chat_question() -> str:
    [line] = [ln for ln in chat_transcript().splitlines() if ln.startswith("質問> ")][:1]
    return line.removeprefix("質問> ")


# --- quick start -----------------------------------------------------------------------------


def test_quick_start_is_two_commands_that_match_ci() -> None:
    install, tests = blocks("Quick start", "bash")
    first = install.strip()
    assert "\n" not in first, "the main job is one command"
    for step in (
        "python3 -m venv .venv",
        ". .venv/bin/activate",
        "python -m pip install -q --upgrade pip",
        "pip install -q -e '.[dev]'",
    ):
        assert step in first
    assert first.endswith("&& kiji")
    assert tests.strip() == "pytest -q"
    # .ci/run installs and tests the same way
    assert "python3 -m venv .venv" in CI and ". .venv/bin/activate" in CI
    assert "--upgrade pip" in CI and "-e '.[dev]'" in CI
    assert re.search(r"^pytest -q$", CI, flags=re.M)
    assert "git clone" in README.split("## Quick start", 1)[1].split("```", 1)[0]


def test_quick_start_chat_transcript(quick_start: tuple[Path, str]) -> None:
    db, out = quick_start
    readme = chat_transcript().splitlines()
    lines = out.splitlines()
    # first run: the sample database is built, then the chat opens
    assert readme[0].endswith("がないため、data/articles のサンプル記事から作成します。")
    assert (
        f"データベース {db} がないため、" in out
        and "data/articles のサンプル記事から作成します。" in out
    )
    assert readme[1] in lines  # 28 件の記事を取り込みました。
    banner = readme[2].split("（", 1)[0]
    assert banner == "kiji chat — 28 件の記事について質問できます"
    assert any(ln.startswith(banner) for ln in lines)
    # the question is answered: excerpt [1] cites the article the README shows
    cited = readme[readme.index(f"質問> {chat_question()}") + 2].strip()
    title, date, _heading, url = cited.split("・")
    first = lines.index(next(ln for ln in lines if ln.startswith("[1] ")))
    assert lines[first + 1].strip().startswith(f"{title}・{date}・")
    assert lines[first + 1].strip().endswith(f"・{url}")
    assert "関連記事" in readme and "関連記事" in lines
    assert re.fullmatch(r"[\d.]+ ms", lines[-1].strip())
    assert "記事の中に、この質問に答える内容は見つかりませんでした" not in out


def test_intro_question_is_answered_from_the_bundled_articles(
    sample_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    intro = README.split("## Quick start", 1)[0]
    question = re.search(r"A member asks\s*「(.+?)」", intro)
    assert question is not None
    assert main(["ask", "--json", question.group(1)]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["status"] == "answered"
    assert answer["excerpts"][0]["article_id"] == INTRO_EXPECTED_ARTICLE


# --- JSON formats ----------------------------------------------------------------------------


def test_search_json_example(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = json.loads(block_starting('{"query"'))
    command = re.search(r"`kiji search --json -k 1 (\S+)`", README)
    assert command is not None and command.group(1) == example["query"]
    assert main(["search", "--json", "-k", "1", example["query"]]) == 0
    real = json.loads(capsys.readouterr().out)
    assert set(real) == set(example)
    [want], [got] = example["hits"], real["hits"]
    assert set(got) == set(want)
    for key in ("article_id", "url", "title", "published_at", "heading"):
        assert got[key] == want[key], key
    assert isinstance(got["passage_id"], int) and got["score"] > 0
    assert got["text"].startswith(want["text"].rstrip("…"))


def test_ask_json_example(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = json.loads(block_starting('{"question"'))
    assert main(["ask", "--json", example["question"]]) == 0
    real = json.loads(capsys.readouterr().out)
    assert set(real) == set(example)
    assert real["status"] == example["status"] == "answered"
    assert set(real["excerpts"][0]) == set(example["excerpts"][0])
    assert real["excerpts"][0]["article_id"] == example["excerpts"][0]["article_id"]
    assert real["related"] and set(real["related"][0]) == set(example["related"][0])
    assert example["related"][0]["article_id"] in {r["article_id"] for r in real["related"]}


def test_digest_json_example(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    example = json.loads(block_starting('{"date"'))
    [section] = example["sections"]
    command = ["digest", "--json", "--date", example["date"], "--category", section["name"]]
    assert f"`kiji {' '.join(command)}`" in README
    assert main(command) == 0
    real = json.loads(capsys.readouterr().out)
    assert (real["date"], real["tz"]) == (example["date"], example["tz"])
    [got] = real["sections"]
    assert got["name"] == section["name"]
    [want_item], [got_item] = section["items"], got["items"]
    assert set(got_item) == set(want_item)
    summary = want_item.pop("summary")
    assert got_item.pop("summary").startswith(summary.rstrip("…"))
    assert got_item == want_item


def test_digest_markdown_example(sample_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    command = re.search(r"`kiji (digest --date \S+ --markdown)`", README)
    assert command is not None
    assert main(command.group(1).split()) == 0
    assert capsys.readouterr().out.strip() == block_starting("# ニュースダイジェスト").strip()


def test_jsonl_example_and_ingest_json_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = block_starting('{"id"').strip()
    src = tmp_path / "example.jsonl"
    src.write_text(line + "\n", encoding="utf-8")
    assert main(["ingest", "--json", "--db", str(tmp_path / "k.db"), str(src)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert (report["added"], report["rejected"]) == (1, [])
    listed = re.search(r"`kiji ingest --json` prints `(\{.*?\})`", README)
    assert listed is not None
    names = set(re.findall(r'"(\w+)"', listed.group(1)))
    per_rejection = {"where", "code", "reason", "message"}
    assert names - per_rejection <= set(report)
    src.write_text("[1]\n", encoding="utf-8")
    assert main(["ingest", "--json", "--db", str(tmp_path / "k.db"), str(src)]) == 1
    [rejection] = json.loads(capsys.readouterr().out)["rejected"]
    assert set(rejection) == per_rejection


# --- CLI reference ---------------------------------------------------------------------------


def _help(*argv: str) -> None:
    """Print ``kiji ARGV --help`` to stdout (read it with capsys)."""
    with pytest.raises(SystemExit):
        build_parser().parse_args([*argv, "--help"])


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subparsers of ``parser`` (a command group's actions), or {}."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def test_cli_reference_options_exist(capsys: pytest.CaptureFixture[str]) -> None:
    table = README.split("## CLI reference", 1)[1].split("\n### ", 1)[0]
    rows = re.findall(r"^\| (`kiji.*?`) \|", table, flags=re.M)
    assert len(rows) >= 15
    for row in rows:
        for usage in re.findall(r"`(kiji[^`]*)`", row):
            words = usage.split()
            command = words[1] if len(words) > 1 and not words[1].startswith("-") else None
            if command is None:
                continue
            group = _subcommands(_subcommands(build_parser())[command])
            actions = [a for a in re.split(r"\\?\||\s", usage) if a in group]
            texts = []
            for action in actions or [None]:
                _help(command, *([action] if action else []))
                texts.append(capsys.readouterr().out)
            for option in re.findall(r"(--[a-z][a-z-]*|-k\b|-v\b)", usage):
                assert any(option in t for t in texts), f"{usage}: {option}"


def test_db_option_is_where_the_readme_says() -> None:
    for name, command in _subcommands(build_parser()).items():
        if name in ("sync", "commands"):
            assert "--db" not in command._option_string_actions, name
        elif group := _subcommands(command):  # feeds …: after the action
            for action_name, action in group.items():
                assert "--db" in action._option_string_actions, f"{name} {action_name}"
        else:
            assert "--db" in command._option_string_actions, name


def test_sync_options_are_documented(capsys: pytest.CaptureFixture[str]) -> None:
    _help("sync")
    out = capsys.readouterr().out
    assert "--guild" in out and "--global" in out
    assert "kiji sync --global" in README and "KIJI_DEV_GUILD_ID" in README


# --- Discord setup and operations, the offline parts ------------------------------------------


def test_offline_discord_commands_and_their_names(tmp_path: Path) -> None:
    done = run_kiji("commands", "--json", cwd=tmp_path, env=clean_env(tmp_path))
    assert done.returncode == 0
    assert done.stderr == ""  # no voice or other warnings
    names = {p["name"]: p.get("name_localizations", {}).get("ja") for p in json.loads(done.stdout)}
    for name, ja in re.findall(r"^\| `/(\w+) [^`]*` \(`/(\w+)`\) \|", README, flags=re.M):
        assert names[name] == ja, name


def test_backup_and_check_blocks(sample_db: Path, tmp_path: Path, capsys) -> None:
    block = next(b for b in blocks("Operations", "bash") if "kiji backup" in b)
    assert "kiji backup /var/backups/kiji/" in block and "kiji check" in block
    assert main(["backup", str(tmp_path)]) == 0
    [backup] = tmp_path.glob("kiji-*.db")
    assert main(["check", "--db", str(backup), "--sample", "20"]) == 0
    assert "OK: 整合性チェックに合格し" in capsys.readouterr().out


def test_chat_history_is_documented() -> None:
    assert "chat_history" in README and "KIJI_CHAT_HISTORY=off" in README
    assert "KIJI_CHAT_HISTORY_MAX" in README
