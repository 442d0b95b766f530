"""The bot's state behaves the same on both backends (one fixture, ``state_db``: a SQLite file,
then a fresh PostgreSQL database): the digest schedules and log through ``open_digest_store``,
the guild settings and remembered questions through ``SettingsStore.open``."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from bot.errors import explain
from bot.state import DigestStore, GuildSettings, Schedule, SettingsStore, open_digest_store
from bot.state.digest import DigestStoreClosed
from bot.state.pg import is_postgres
from bot.state.pg_digest import PgDigestStore
from bot.state.settings import SettingsClosedError
from index.messages import stored_text, t

NOW = datetime(2026, 11, 13, 0, 0, tzinfo=UTC)
D = date(2026, 11, 13)


def schedule(guild_id: int = 7, **kw: object) -> Schedule:
    base = Schedule(guild_id, 11, time(8, 0), "Asia/Tokyo", ("経済", "政治"), False, True, D)
    return Schedule(**{**base.__dict__, **kw})  # type: ignore[arg-type]


async def test_the_location_picks_the_backend(state_db: str | Path) -> None:
    async with await open_digest_store(state_db) as store:
        expected = PgDigestStore if is_postgres(state_db) else DigestStore
        assert type(store) is expected


async def test_schedules_round_trip_and_disable_cancels_retries(state_db: str | Path) -> None:
    async with await open_digest_store(state_db) as store:
        assert await store.get_schedule(7) is None
        await store.save_schedule(schedule(), NOW)
        await store.save_schedule(schedule(8, categories=None, same_day=True), NOW)
        assert await store.get_schedule(7) == schedule()
        await store.save_schedule(schedule(at=time(21, 30), tz="UTC"), NOW)  # an update
        assert await store.enabled_schedules() == [
            schedule(at=time(21, 30), tz="UTC"),
            schedule(8, categories=None, same_day=True),
        ]
        assert await store.claim(7, 11, D, NOW, trigger="scheduled", from_states=())
        retry_at = NOW + timedelta(minutes=2)
        assert await store.finish(7, 11, D, "retry", NOW, error="403", next_attempt_at=retry_at)
        assert await store.disable(7, NOW)
        assert not await store.disable(7, NOW)  # already disabled
        assert [s.guild_id for s in await store.enabled_schedules()] == [8]
        entry = await store.entry(7, 11, D)
        assert entry is not None
        assert (entry.state, entry.next_attempt_at) == ("failed", None)
        # kept as a catalogue message, said in the moderator's language by /digest status
        assert stored_text(entry.last_error or "", "en") == "cancelled: the schedule was disabled"
        assert (
            stored_text(entry.last_error or "", "ja")
            == "取り消しました：スケジュールが止められました"
        )


async def test_advance_handles_an_occurrence_once(state_db: str | Path) -> None:
    async with await open_digest_store(state_db) as store:
        s = schedule()
        await store.save_schedule(s, NOW)
        assert await store.advance(s, D - timedelta(days=1), "posting", NOW) == (True, True)
        assert await store.advance(s, D - timedelta(days=1), "posting", NOW) == (False, False)
        moved = await store.get_schedule(7)
        assert moved is not None and moved.next_run_day == D + timedelta(days=1)
        # the next occurrence, whose day was already claimed by hand: the cursor moves only
        await store.claim(7, 11, D, NOW, trigger="manual", from_states=())
        assert await store.advance(moved, D, "missed", NOW, error="late") == (True, False)
        entry = await store.entry(7, 11, D - timedelta(days=1))
        assert entry is not None
        assert (entry.state, entry.trigger, entry.attempts, entry.claimed_at) == (
            "posting",
            "scheduled",
            1,
            NOW,
        )


async def test_the_claim_and_the_log(state_db: str | Path) -> None:
    async with await open_digest_store(state_db) as store:
        assert await store.claim(7, 11, D, NOW, trigger="scheduled", from_states=())
        assert not await store.claim(7, 11, D, NOW, trigger="manual", from_states=("retry",))
        later = NOW + timedelta(minutes=1)
        assert not await store.finish(7, 11, D, "posted", later, expect="retry")
        assert await store.finish(7, 11, D, "retry", later, error="503", next_attempt_at=later)
        assert await store.claim(7, 11, D, later, trigger="manual", from_states=("retry",))
        assert await store.finish(7, 11, D, "posted", later, message_ids=[101, 102])
        assert await store.finish(7, 11, D, "uncertain", later, expect=None)
        assert await store.entry(7, 11, D) == (await store.entries(7, ["uncertain"], limit=1))[0]
        entry = await store.entry(7, 11, D)
        assert entry is not None
        assert entry.__dict__ == {
            "guild_id": 7,
            "channel_id": 11,
            "day": D,
            "state": "uncertain",
            "trigger": "manual",
            "attempts": 2,
            "message_ids": (101, 102),
            "claimed_at": later,
            "posted_at": later,
            "next_attempt_at": None,
            "last_error": None,
        }
        for day in (D - timedelta(days=2), D - timedelta(days=1)):
            await store.claim(7, 12, day, NOW, trigger="scheduled", from_states=())
        await store.claim(8, 12, D, NOW, trigger="scheduled", from_states=())
        newest = await store.entries(7, ["posting", "uncertain"], limit=2)
        assert [(e.day, e.channel_id) for e in newest] == [(D, 11), (D - timedelta(days=1), 12)]
        assert await store.entries(7, ["failed"]) == []
        posting = await store.entries_in_state("posting")
        assert [(e.guild_id, e.day) for e in posting] == [
            (7, D - timedelta(days=2)),
            (7, D - timedelta(days=1)),
            (8, D),
        ]


async def test_close_twice_and_use_after_close(state_db: str | Path) -> None:
    store = await open_digest_store(state_db)
    await store.close()
    await store.close()
    with pytest.raises(DigestStoreClosed):
        await store.entry(7, 11, D)


async def test_guild_settings_persist_and_reload(state_db: str | Path) -> None:
    async with await SettingsStore.open(state_db) as settings:
        assert settings.get(5) == GuildSettings(5)
        await settings.update(5, visibility="ephemeral", moderator_role_id=9, add_channel=6)
        await settings.update(5, add_channel=7)
        await settings.update(5, remove_channel=6)
        await settings.update(8, moderator_role_id=3)
        await settings.update(8, clear_moderator_role=True, add_channel=1)
        expected = {
            5: GuildSettings(5, 9, "ephemeral", frozenset({7})),
            8: GuildSettings(8, None, "public", frozenset({1})),
        }
        assert {g: settings.get(g) for g in (5, 8)} == expected
    async with await SettingsStore.open(state_db) as settings:  # another host, or a restart
        assert {g: settings.get(g) for g in (5, 8)} == expected
        assert settings.get(None) == GuildSettings(0)


async def test_questions_remembered_while_answers_overlap_and_another_host_writes(
    state_db: str | Path,
) -> None:
    """Six answers in flight share one settings connection (each remembers its question for
    its buttons) while another host commits to the same database: none of them fails. On
    SQLite a read statement left open between two awaits made another task's insert fail at
    once with "database is locked" (seen in CI as an /ask answered with an error)."""
    async with (
        await SettingsStore.open(state_db) as settings,
        await SettingsStore.open(state_db) as other_host,
    ):
        done = False

        async def other_host_writes() -> int:
            n = 0
            while not done:
                await other_host.update(100 + n % 5, add_channel=n)
                n += 1
            return n

        async def one(text: str, lag: int) -> int:
            for _ in range(lag):  # the answers reach this point at different moments
                await asyncio.sleep(0)
            return await settings.remember("ask", text, now=NOW)

        writer = asyncio.create_task(other_host_writes())
        texts = [f"質問{r}-{i}は？" for r in range(25) for i in range(6)]
        ids: list[int] = []
        for r in range(25):
            batch = texts[r * 6 : (r + 1) * 6]
            ids += await asyncio.gather(*(one(q, i) for i, q in enumerate(batch)))
        done = True
        assert await writer > 0
        assert len(set(ids)) == len(texts)
        assert [await settings.recall("ask", i) for i in ids] == texts
        again = await asyncio.gather(*(one(q, i % 6) for i, q in enumerate(texts[:12])))
        assert again == ids[:12]


async def test_remembered_questions(state_db: str | Path) -> None:
    settings = await SettingsStore.open(state_db)
    first = await settings.remember("ask", "日銀は？", now=NOW)
    assert await settings.remember("ask", "日銀は？", now=NOW + timedelta(days=1)) == first
    second = await settings.remember("ask", "台風は？", now=NOW + timedelta(days=2))
    other_kind = await settings.remember("search", "日銀は？", now=NOW)
    assert len({first, second, other_kind}) == 3
    assert await settings.recall("ask", first) == "日銀は？"
    assert await settings.recall("search", first) is None
    assert await settings.forget_before(NOW + timedelta(days=1)) == 2
    assert (await settings.recall("ask", first), await settings.recall("ask", second)) == (
        None,
        "台風は？",
    )
    await settings.close()
    await settings.close()  # closing twice is safe
    with pytest.raises(SettingsClosedError) as closed:
        await settings.recall("ask", second)
    # a member who meets it during a shutdown is told so, in the member's language
    assert explain(closed.value, "ja") == t("ja", "shutting_down")
    assert explain(closed.value, "en-US") == (
        "kiji is restarting and cannot answer right now. Please try again in a moment."
    )
