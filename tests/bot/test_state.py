"""The bot's state (bot/state/) and the one migration helper (index/store/migrations.py) on real
SQLite files: a database written by the code before they existed opens, keeps its rows, and
has exactly the tables and versions a new database gets."""

from __future__ import annotations

import shutil
import sqlite3
from datetime import date, time
from pathlib import Path

import pytest

from bot.state import DigestStore, SettingsStore
from index.errors import SchemaTooNew
from index.store import migrations
from index.store.feedback_store import FeedbackStore
from index.store.schema import SCHEMA_VERSION
from index.store.store import IndexStore

# Made by the code of commit 9118746 (bot/settings.py, bot/digest_store.py and the feedback
# store's own migrations): the index at user_version 3, bot_schema settings 1 and digest 1, meta
# feedback_schema 1; guild 7 with settings, an answer channel, a remembered question, a schedule
# and a posted digest; one vote. Then VACUUMed with 1 KiB pages to keep it small.
OLD_DB = Path(__file__).parents[1] / "fixtures" / "old_db" / "kiji-9118746.db"


def old_database(path: Path) -> Path:
    """A copy of the database made by the old code."""
    shutil.copyfile(OLD_DB, path)
    return path


def layout(path: Path) -> dict[str, object]:
    """Every table and index with its DDL (whitespace folded), and each component's version."""
    conn = sqlite3.connect(path)
    try:
        ddl = {
            name: " ".join(sql.split())
            for name, sql in conn.execute(
                "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
            )
        }
        return {
            "ddl": ddl,
            "user_version": conn.execute("PRAGMA user_version").fetchone()[0],
            "bot_schema": sorted(conn.execute("SELECT component, version FROM bot_schema")),
            "feedback_schema": conn.execute(
                "SELECT value FROM meta WHERE key = 'feedback_schema'"
            ).fetchone(),
        }
    finally:
        conn.close()


async def open_everything(path: Path) -> None:
    """Open each component of a kiji database as the CLI and the bot do."""
    with IndexStore.open(path) as store:
        FeedbackStore(store).ensure_schema()
    async with await SettingsStore.open(path):
        pass
    await (await DigestStore.open(path)).close()


async def test_a_database_from_before_opens_unchanged(tmp_path: Path) -> None:
    old = old_database(tmp_path / "old.db")
    before = layout(old)
    await open_everything(old)
    after = layout(old)
    # only the index moved on (schema 4: the fusion signals' vectors, 5: the word pairs' dfs)
    assert (before["user_version"], after["user_version"]) == (3, SCHEMA_VERSION)
    added = {k: v for k, v in after["ddl"].items() if k not in before["ddl"]}  # type: ignore[union-attr]
    assert sorted(added) == ["pair_dfs", "signal_docs"]
    assert {**after, "ddl": before["ddl"], "user_version": 3} == before
    async with await SettingsStore.open(old) as settings:
        gs = settings.get(7)
        assert (gs.visibility, gs.moderator_role_id, gs.answer_channels) == ("ephemeral", 9, {11})
        assert await settings.recall("ask", 1) == "日銀は？"
    digests = await DigestStore.open(old)
    try:
        schedule = await digests.get_schedule(7)
        assert schedule is not None
        assert (schedule.at, schedule.categories) == (time(8, 0), ("経済",))
        entry = await digests.entry(7, 11, date(2026, 11, 13))
        assert entry is not None and (entry.state, entry.message_ids) == ("posted", (123,))
    finally:
        await digests.close()
    with IndexStore.open(old) as store:
        voted = FeedbackStore(store).voted_answers()
        assert [(v.question, v.up, v.down) for v in voted] == [("日銀は？", 1, 0)]


async def test_a_new_database_has_the_old_schema_migrated(tmp_path: Path) -> None:
    old = old_database(tmp_path / "old.db")
    new = tmp_path / "new.db"
    await open_everything(new)
    await open_everything(old)  # migrated: the index's schema 4
    expected = layout(old)
    assert layout(new) == expected
    assert expected["bot_schema"] == [("digest", 1), ("settings", 1)]


async def test_bot_tables_are_added_to_an_index_without_them(tmp_path: Path) -> None:
    """A database made by `kiji ingest` alone gets the bot's tables when the bot first opens it."""
    path = tmp_path / "kiji.db"
    IndexStore.open(path).close()
    async with await SettingsStore.open(path) as settings:
        await settings.update(5, add_channel=6)
    async with await SettingsStore.open(path) as settings:
        assert settings.get(5).answer_channels == {6}
    assert layout(path)["bot_schema"] == [("settings", 1)]


def test_steps_apply_in_order_once_and_refuse_a_newer_file(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    applied: list[int] = []

    def step_two(c: sqlite3.Connection) -> None:
        applied.append(2)
        c.execute("INSERT INTO t VALUES (2)")

    steps = migrations.Migrations(
        ("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1)", step_two),
        migrations.ComponentRow("test"),
        "schema_settings_too_new",  # the catalogue key of SchemaTooNew's message
    )
    assert migrations.migrate(conn, steps) == 0
    assert migrations.migrate(conn, steps) == 2  # a second run finds it done
    assert applied == [2]
    assert conn.execute("SELECT x FROM t ORDER BY x").fetchall() == [(1,), (2,)]
    conn.execute("UPDATE bot_schema SET version = 3 WHERE component = 'test'")
    with pytest.raises(SchemaTooNew, match="version 3, this kiji knows 2") as newer:
        migrations.migrate(conn, steps)
    assert newer.value.text("ja") == (
        "このデータベースのボットの設定はバージョン 3 で、この kiji が知っているのは 2 までです。"
        "kiji を更新してください"
    )
    conn.close()


def test_a_failing_step_leaves_the_previous_version(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "m.db", isolation_level=None)
    steps = migrations.Migrations(
        ("CREATE TABLE a (x)", "CREATE TABLE b (x); CREATE TABLE a (x)"),
        migrations.MetaKey("k"),
        "schema_index_too_new",
    )
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    with pytest.raises(sqlite3.OperationalError, match="already exists"):
        migrations.migrate(conn, steps)
    assert conn.execute("SELECT value FROM meta").fetchall() == [("1",)]
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    assert "b" not in tables and "a" in tables
    conn.close()
