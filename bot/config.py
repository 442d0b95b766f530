"""BotSettings: the Discord layer's settings, read from an environment mapping (pure, no I/O)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from index.config import POSTGRES_SCHEMES, default_db_location, read_db_location, url_scheme
from index.errors import NewsIndexError, UnsupportedDatabase

# A bot token is three base64url parts joined by dots; this only catches obvious mistakes
# (a client secret, an application id, a value with spaces or quotes) before connecting.
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_\-]{20,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{20,}$")


class ConfigError(NewsIndexError):
    """A setting is missing or malformed: one line meant for the user, from the catalogue
    (:mod:`index.messages.settings`; ``text(lang)`` says it in their language)."""


@dataclass(frozen=True)
class BotSettings:
    token: str = field(repr=False)  # never printed or logged
    db_path: Path | str  # the index (KIJI_DB): a SQLite file or a postgresql:// URL
    # KIJI_STATE_DB: a postgresql:// URL for the bot's settings and digests (None: in db_path)
    state_db: str | None = field(default=None, repr=False)
    # KIJI_DB_READ: a read replica's postgresql:// URL for answers and digests (None: db_path)
    read_db: str | None = field(default=None, repr=False)
    dev_guild_id: int | None = None
    log_level: str = "INFO"
    owner_ids: frozenset[int] = frozenset()
    shard_ids: tuple[int, ...] | None = None
    shard_count: int | None = None
    metrics_port: int | None = None  # serve /metrics and /healthz on 127.0.0.1 when set
    log_json: bool = False  # one JSON object per log line (KIJI_LOG_FORMAT=json)
    feeds_allow_private: bool = False  # KIJI_FEEDS_ALLOW_PRIVATE=1: intranet feeds

    @classmethod
    def from_env(cls, env: Mapping[str, str], *, require_token: bool = True) -> BotSettings:
        """Settings from ``env``; raises :class:`ConfigError` with a one-line explanation.

        :param require_token: False for commands that never connect (``kiji commands``).
        """
        token = env.get("DISCORD_TOKEN", "").strip()
        if require_token:
            check_token(token)
        level = env.get("KIJI_LOG_LEVEL", "INFO").strip().upper() or "INFO"
        if not isinstance(logging.getLevelName(level), int):
            raise ConfigError.keyed("setting_log_level", level=level)
        shard_ids = _int_list(env, "KIJI_SHARD_IDS")
        shard_count = _int(env, "KIJI_SHARD_COUNT")
        if shard_ids is not None and shard_count is None:
            raise ConfigError.keyed("setting_shards_need_count")
        if shard_ids is not None and shard_count is not None:
            bad = [i for i in shard_ids if not 0 <= i < shard_count]
            if bad:
                last = shard_count - 1
                raise ConfigError.keyed(
                    "setting_shard_ids_range", bad=bad, count=shard_count, last=last
                )
        if shard_count is not None and shard_count < 1:
            raise ConfigError.keyed("setting_shard_count")
        metrics_port = _int(env, "KIJI_METRICS_PORT")
        if metrics_port is not None and not 0 < metrics_port <= 65535:
            raise ConfigError.keyed("setting_metrics_port", port=metrics_port)
        log_format = env.get("KIJI_LOG_FORMAT", "text").strip().lower() or "text"
        if log_format not in ("text", "json"):
            raise ConfigError.keyed("setting_log_format", value=log_format)
        return cls(
            token=token,
            db_path=_db_path(env),
            state_db=_state_db(env),
            read_db=_read_db(env),
            dev_guild_id=_int(env, "KIJI_DEV_GUILD_ID"),
            log_level=level,
            owner_ids=frozenset(_int_list(env, "KIJI_OWNER_IDS") or ()),
            shard_ids=tuple(shard_ids) if shard_ids is not None else None,
            shard_count=shard_count,
            metrics_port=metrics_port,
            log_json=log_format == "json",
            feeds_allow_private=env.get("KIJI_FEEDS_ALLOW_PRIVATE", "").strip() == "1",
        )


def check_token(token: str) -> None:
    """Raise :class:`ConfigError` if ``token`` is missing or cannot be a bot token (never echoes it)."""
    if not token:
        raise ConfigError.keyed("setting_no_token")
    if token.lower().startswith("bot "):
        raise ConfigError.keyed("setting_token_prefix")
    if not _TOKEN_SHAPE.match(token):
        raise ConfigError.keyed("setting_token_shape")


def _db_path(env: Mapping[str, str]) -> Path | str:
    try:
        return default_db_location(env)
    except UnsupportedDatabase as e:
        raise ConfigError.keyed("setting_db", problem=e.msg or str(e)) from None


def _read_db(env: Mapping[str, str]) -> str | None:
    try:
        return read_db_location(env)
    except UnsupportedDatabase as e:  # the same message, in the user's language
        raise ConfigError.keyed(e.key or "db_read_url", **e.params) from None


def _state_db(env: Mapping[str, str]) -> str | None:
    value = env.get("KIJI_STATE_DB", "").strip()
    if value and url_scheme(value) not in POSTGRES_SCHEMES:
        raise ConfigError.keyed("setting_state_db")
    return value or None


def _int(env: Mapping[str, str], name: str) -> int | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ConfigError.keyed("setting_not_number", name=name, value=raw) from None


def _int_list(env: Mapping[str, str], name: str) -> list[int] | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        return [int(x) for x in re.split(r"[,\s]+", raw) if x]
    except ValueError:
        raise ConfigError.keyed("setting_not_numbers", name=name, value=raw) from None
