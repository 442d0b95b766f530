"""The bot's index worker ranks as the core settings say (KIJI_FUSION), like the CLI."""

from __future__ import annotations

from pathlib import Path

from bot.worker import IndexWorker
from index.analysis.tokenizer import JapaneseTokenizer
from index.config import CoreSettings
from index.store.store import IndexStore


async def test_worker_searcher_takes_the_fusion_setting(
    tmp_path: Path, tokenizer: JapaneseTokenizer, monkeypatch
) -> None:
    db = tmp_path / "kiji.db"
    IndexStore.open(db).close()
    for value, enabled in (("0", False), ("1", True)):
        monkeypatch.setenv("KIJI_FUSION", value)
        core = CoreSettings.from_env()
        async with await IndexWorker.open(
            db, tokenizer, params=core.bm25, fusion=core.fusion, name="reader"
        ) as worker:
            assert await worker.run(lambda ctx: ctx.searcher.fusion.enabled) is enabled
