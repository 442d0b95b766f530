"""Core settings read from an environment mapping (a pure function: nothing is read at import)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from index.errors import UnsupportedDatabase
from index.ranking.bm25 import DEFAULT_B, DEFAULT_K1, BM25Params
from index.ranking.fusion import FusionParams

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ARTICLES = PROJECT_ROOT / "data" / "articles"


# ``scheme://…``: a URL, never a file name (a path made of it would be a directory ``scheme:``).
_URL = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
POSTGRES_SCHEMES = ("postgresql", "postgres")


def url_scheme(value: str) -> str | None:
    """The scheme of ``value`` if it looks like a URL (``scheme://…``), else None."""
    m = _URL.match(value)
    return m.group(1).lower() if m else None


def is_postgres_url(location: object) -> bool:
    """True for a ``postgresql://`` (or ``postgres://``) URL."""
    return isinstance(location, str) and url_scheme(location) in POSTGRES_SCHEMES


def index_db_location(value: str) -> Path | str:
    """The index that ``--db`` / ``KIJI_DB`` names: a SQLite file path, or a ``postgresql://``
    URL kept as it is. Raises :class:`UnsupportedDatabase` for a URL of another scheme."""
    if is_postgres_url(value):
        return value
    return index_db_path(value)


def redacted(location: Path | str) -> str:
    """A database location to show: a URL without its password."""
    if not is_postgres_url(location):
        return str(location)
    parts = urlsplit(str(location))
    if parts.password is None:
        return str(location)
    netloc = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}@{netloc}").geturl()


def index_db_path(value: str) -> Path:
    """The index database file that ``--db`` / ``KIJI_DB`` names; does not touch the disk.

    Raises :class:`UnsupportedDatabase` for a URL (where a file is needed).
    """
    scheme = url_scheme(value)
    if scheme in POSTGRES_SCHEMES:
        raise UnsupportedDatabase.keyed("db_postgres_url", scheme=scheme)
    if scheme is not None:
        raise UnsupportedDatabase.keyed("db_url", scheme=scheme)
    return Path(value).expanduser()


def default_db_path(env: Mapping[str, str]) -> Path:
    """``$KIJI_DB``, else ``$XDG_DATA_HOME/kiji/kiji.db`` (``~/.local/share/kiji/kiji.db``).

    Raises :class:`UnsupportedDatabase` when ``$KIJI_DB`` is a URL (:func:`index_db_path`).
    """
    if env.get("KIJI_DB"):
        return index_db_path(env["KIJI_DB"])
    base = env.get("XDG_DATA_HOME") or str(
        Path(env.get("HOME") or Path.home()) / ".local" / "share"
    )
    return Path(base).expanduser() / "kiji" / "kiji.db"


def default_db_location(env: Mapping[str, str]) -> Path | str:
    """:func:`default_db_path`, except that a ``postgresql://`` ``$KIJI_DB`` is returned as it is."""
    if is_postgres_url(env.get("KIJI_DB")):
        return env["KIJI_DB"]
    return default_db_path(env)


def read_db_location(env: Mapping[str, str]) -> str | None:
    """``$KIJI_DB_READ``: a ``postgresql://`` URL of a read replica of the ``$KIJI_DB`` database,
    where the readers (search, ask, chat's answers, digests; the bot's answers) read; None when
    unset. Writers keep ``$KIJI_DB``. Raises :class:`UnsupportedDatabase` when it is not such a
    URL, or when ``$KIJI_DB`` is not a ``postgresql://`` URL (a replica of what, then?)."""
    value = env.get("KIJI_DB_READ", "").strip()
    if not value:
        return None
    if not is_postgres_url(value):
        raise UnsupportedDatabase.keyed("db_read_url")
    if not is_postgres_url(env.get("KIJI_DB", "").strip()):
        raise UnsupportedDatabase.keyed("db_read_needs_pg")
    return value


@dataclass(frozen=True)
class CoreSettings:
    db_path: Path | str  # a SQLite file, or a postgresql:// URL
    split_mode: str = "C"
    bm25: BM25Params = field(default_factory=BM25Params)
    timezone: str = "Asia/Tokyo"
    fusion: FusionParams = field(default_factory=FusionParams)  # KIJI_FUSION=0: plain BM25

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> CoreSettings:
        env = os.environ if env is None else env
        return cls(
            db_path=default_db_location(env),
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
