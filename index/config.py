"""Core settings read from an environment mapping (a pure function: nothing is read at import)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from index.ranking.bm25 import DEFAULT_B, DEFAULT_K1, BM25Params
from index.ranking.fusion import FusionParams

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ARTICLES = PROJECT_ROOT / "data" / "articles"


def default_db_path(env: Mapping[str, str]) -> Path:
    """``$KIJI_DB``, else ``$XDG_DATA_HOME/kiji/kiji.db`` (``~/.local/share/kiji/kiji.db``)."""
    if env.get("KIJI_DB"):
        return Path(env["KIJI_DB"]).expanduser()
    base = env.get("XDG_DATA_HOME") or str(
        Path(env.get("HOME") or Path.home()) / ".local" / "share"
    )
    return Path(base).expanduser() / "kiji" / "kiji.db"


@dataclass(frozen=True)
class CoreSettings:
    db_path: Path
    split_mode: str = "C"
    bm25: BM25Params = field(default_factory=BM25Params)
    timezone: str = "Asia/Tokyo"
    fusion: FusionParams = field(default_factory=FusionParams)  # KIJI_FUSION=0: plain BM25

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CoreSettings:
        env = os.environ if env is None else env
        return cls(
            db_path=default_db_path(env),
            split_mode=env.get("KIJI_SPLIT_MODE", "C").upper(),
            bm25=BM25Params(
                k1=float(env.get("KIJI_BM25_K1", DEFAULT_K1)),
                b=float(env.get("KIJI_BM25_B", DEFAULT_B)),
            ),
            timezone=env.get("KIJI_TZ", "Asia/Tokyo"),
            fusion=FusionParams(
                enabled=env.get("KIJI_FUSION", "1").strip().lower()
                not in ("0", "off", "false", "no")
            ),
        )
