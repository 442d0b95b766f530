"""/kiji config on one host reaches the others without a restart (issue 15): two SettingsStores
on the same state (two hosts' connections), one changes a guild, the other's cache follows —
on PostgreSQL at once (LISTEN/NOTIFY, also after its listening connection was cut), on a shared
SQLite file at its next periodic reload."""

from __future__ import annotations

import asyncio
from pathlib import Path

import psycopg
import pytest

from bot.state import pg_settings
from bot.state import settings as settings_module
from bot.state.settings import SettingsStore

GUILD = 31337


async def until(predicate, seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the other host's settings did not follow in time")


async def test_a_change_on_one_host_reaches_another(
    state_db: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings_module, "SQLITE_REFRESH", 0.2)
    monkeypatch.setattr(pg_settings, "RECONNECT_EVERY", 0.2)
    async with (
        await SettingsStore.open(state_db) as here,
        await SettingsStore.open(state_db) as there,
    ):
        await there.follow()
        await there.follow()  # once is enough; twice changes nothing
        await here.update(GUILD, visibility="ephemeral", add_channel=5)
        await until(lambda: there.get(GUILD).ephemeral)
        assert there.get(GUILD).answer_channels == frozenset({5})
        await here.update(GUILD, remove_channel=5, moderator_role_id=9)
        await until(lambda: there.get(GUILD).moderator_role_id == 9)
        assert there.get(GUILD).answer_channels == frozenset()

        if isinstance(state_db, str):  # the listener's connection is cut by the server
            with psycopg.connect(state_db, autocommit=True) as admin:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN%%' AND datname = current_database()"
                )
            await here.update(GUILD, visibility="public")  # made while nobody listens, maybe
            await until(lambda: not there.get(GUILD).ephemeral)
            await here.update(GUILD, add_channel=6)  # and heard again once it listens again
            await until(lambda: there.get(GUILD).answer_channels == frozenset({6}))
    assert here.get(GUILD) == there.get(GUILD)


async def test_a_reload_never_undoes_a_change_of_this_host(state_db: str | Path) -> None:
    async with await SettingsStore.open(state_db) as store:
        for i in range(20):  # reloads racing with this host's own changes
            await asyncio.gather(store.update(GUILD, add_channel=i), store.reload())
            assert i in store.get(GUILD).answer_channels
