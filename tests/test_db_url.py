"""A ``--db`` / ``KIJI_DB`` URL that kiji cannot serve is refused in one line, by the real
``kiji`` and ``python -m bot`` processes, and nothing is created (it used to become a directory
named ``postgresql:`` holding a SQLite file). A ``postgresql://`` index is served by the kiji
commands (tests/test_pg_index.py, tests/test_pg_ops.py) and by the bot
(tests/bot/test_pg_serving.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from index.config import index_db_path, url_scheme

KIJI = [sys.executable, "-c", "import sys; from bot.cli import main; sys.exit(main())"]
BOT = [sys.executable, "-m", "bot"]
TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4OQ.GabcdE.abcdefghijklmnopqrstuvwxyz0123456789_-"
PG = "postgresql://postgres@127.0.0.1:5432/kiji"


def run(cmd: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("KIJI_DB", "DISCORD_TOKEN")}
    home = {"HOME": str(cwd), "XDG_DATA_HOME": str(cwd / "data")}
    return subprocess.run(
        cmd,
        cwd=cwd,
        env={**base, **home, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def assert_refused(proc: subprocess.CompletedProcess[str], cwd: Path, message: str) -> None:
    assert (proc.returncode, proc.stdout, proc.stderr) == (2, "", f"kiji: {message}\n")
    assert list(cwd.iterdir()) == []  # no `postgresql:` directory, no database file


@pytest.mark.parametrize(
    "args", [["backup", "out.dump"], ["restore", "--yes", "b.dump"], ["doctor"]]
)
def test_backup_restore_doctor_on_a_url_create_no_file(tmp_path: Path, args: list[str]) -> None:
    missing = "postgresql://postgres@127.0.0.1:5432/kiji_never_created"
    proc = run([*KIJI, args[0], "--db", missing, *args[1:]], tmp_path, DISCORD_TOKEN=TOKEN)
    said = proc.stdout if args[0] == "doctor" else proc.stderr
    assert proc.returncode == (1 if args[0] == "doctor" else 2), proc.stdout + proc.stderr
    assert "kiji_never_created" in said or "b.dump" in said
    assert list(tmp_path.iterdir()) == []  # no `postgresql:` directory, no file


def test_kiji_refuses_a_scheme_it_does_not_serve(tmp_path: Path) -> None:
    proc = run(
        [*KIJI, "stats", "--db", "mysql://root@localhost/kiji"], tmp_path, LANG="en_US.UTF-8"
    )
    assert_refused(
        proc,
        tmp_path,
        "kiji cannot open a mysql:// database: give --db / KIJI_DB a SQLite file path "
        "or a postgresql:// URL",
    )


def test_the_bot_refuses_a_url_it_cannot_serve_in_kiji_db(tmp_path: Path) -> None:
    """``python -m bot`` reads KIJI_DB through the bot's settings: the same message, before
    any connection to Discord."""
    proc = run(
        BOT,
        tmp_path,
        KIJI_DB="mysql://root@localhost/kiji",
        DISCORD_TOKEN=TOKEN,
        LANG="en_US.UTF-8",
    )
    assert_refused(
        proc,
        tmp_path,
        "KIJI_DB: kiji cannot open a mysql:// database: give --db / KIJI_DB a SQLite file path "
        "or a postgresql:// URL",
    )


def test_python_m_bot_refuses_a_url_db_option(tmp_path: Path) -> None:
    proc = run(
        [*BOT, "--db", "redis://127.0.0.1/0"], tmp_path, DISCORD_TOKEN=TOKEN, LANG="en_US.UTF-8"
    )
    assert_refused(
        proc,
        tmp_path,
        "kiji cannot open a redis:// database: give --db / KIJI_DB a SQLite file path "
        "or a postgresql:// URL",
    )


def test_paths_that_are_not_urls_stay_paths(tmp_path: Path) -> None:
    assert [url_scheme(v) for v in (PG, "Postgres://h/db", "a:b/c.db", "/x/y.db", "db")] == [
        "postgresql",
        "postgres",
        None,
        None,
        None,
    ]
    assert index_db_path("~/k.db") == Path.home() / "k.db"
    assert index_db_path(str(tmp_path / "a:b.db")) == tmp_path / "a:b.db"


def test_kiji_state_db_takes_only_a_postgresql_url(tmp_path: Path) -> None:
    state = str(tmp_path / "state.db")
    proc = run(BOT, tmp_path, KIJI_STATE_DB=state, DISCORD_TOKEN=TOKEN, LANG="en_US.UTF-8")
    assert_refused(
        proc,
        tmp_path,
        "KIJI_STATE_DB takes a postgresql://user@host:port/db URL "
        "(leave it unset to keep the bot's state in the KIJI_DB file)",
    )


def test_the_bot_says_when_kiji_state_db_is_unreachable(tmp_path: Path) -> None:
    """The digest scheduler opens its store on KIJI_STATE_DB before the bot logs in: nothing
    listens on port 1, so the bot stops with one line (and without the URL's password)."""
    proc = run(
        BOT,
        tmp_path,
        KIJI_DB=str(tmp_path / "kiji.db"),
        KIJI_STATE_DB="postgresql://postgres:secret@127.0.0.1:1/kiji",
        DISCORD_TOKEN=TOKEN,
    )
    assert proc.returncode == 2, proc.stderr
    last = proc.stderr.splitlines()[-1]
    assert last.startswith(  # in the command line's language (Japanese by default)
        "kiji: PostgreSQL（postgres@127.0.0.1:1/kiji、KIJI_STATE_DB）に接続できません："
    ), proc.stderr
    assert "secret" not in proc.stderr
