"""One catalogue for every user-facing string of kiji, the command line and the Discord bot.

Each key has a Japanese and an English text (``key → (ja, en)``); Japanese is the default.
:func:`lang_from_env` picks English for the command line when ``LC_ALL``, ``LC_MESSAGES`` or
``LANG`` (the first one set, as POSIX reads them) starts with ``en``; :func:`lang_from_locale`
picks it for a Discord interaction whose locale is English. Log messages for operators are not
here: they stay English (a log line is for whoever runs kiji, and is searched and quoted as it
is), as do the ``reason`` fields of ``--json`` output beside a stable ``code``. A foundation of the
core: it imports nothing of kiji, and every part may use it (the bot too).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Literal, NamedTuple

from index.messages.answers import ANSWERS
from index.messages.bot import BOT
from index.messages.cli import CLI
from index.messages.commands import COMMAND_JA
from index.messages.ingest import INGEST
from index.messages.ops import OPS
from index.messages.pg_ops import PG_OPS
from index.messages.settings import SETTINGS
from index.messages.store import STORE

__all__ = [
    "CATALOGUE",
    "COMMAND_JA",
    "Lang",
    "Msg",
    "lang_from_env",
    "lang_from_locale",
    "stored_text",
    "t",
]

Lang = Literal["ja", "en"]


def _merge(*parts: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for part in parts:
        for key, texts in part.items():
            if key in merged:  # pragma: no cover - caught by tests/index/test_messages.py
                raise ValueError(f"message key {key!r} is defined twice")
            merged[key] = texts
    return merged


CATALOGUE: dict[str, tuple[str, str]] = _merge(
    ANSWERS, CLI, INGEST, OPS, PG_OPS, SETTINGS, STORE, BOT
)


class Msg(NamedTuple):
    """A message not yet put into words, for code that does not know the language: a key and
    its fields. As a field of another message it is put into that message's language."""

    key: str
    params: Mapping[str, object] = {}

    def text(self, lang: Lang) -> str:
        """The message in ``lang``."""
        return t(lang, self.key, **self.params)

    def dumps(self) -> str:
        """The message as JSON text to store (``{"key": …, "params": …}``), put into words only
        when it is read (:func:`stored_text`); a field JSON cannot hold is kept as its text."""
        return json.dumps(_plain(self), ensure_ascii=False)

    @classmethod
    def loads(cls, stored: str) -> Msg | None:
        """The message :meth:`dumps` wrote, or None for anything else (text stored as it is)."""
        if not stored.startswith("{"):
            return None
        try:
            value = json.loads(stored)
        except ValueError:
            return None
        return _msg(value)


def _plain(value: object) -> object:
    if isinstance(value, Msg):
        return {"key": value.key, "params": {k: _plain(v) for k, v in value.params.items()}}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _msg(value: object) -> Msg | None:
    if not isinstance(value, dict) or set(value) != {"key", "params"}:
        return None
    key, params = value["key"], value["params"]
    if key not in CATALOGUE or not isinstance(params, dict):
        return None
    return Msg(key, {k: _msg(v) or v for k, v in params.items()})


def stored_text(stored: str, lang: Lang) -> str:
    """Stored text in ``lang``: a message kept with :meth:`Msg.dumps` is put into words, and
    anything else (text stored before messages were kept as keys) is shown as it is."""
    msg = Msg.loads(stored)
    return stored if msg is None else msg.text(lang)


def t(lang: Lang, key: str, /, **kw: object) -> str:
    """The text of ``key`` in ``lang``, formatted with ``kw`` (KeyError for an unknown key);
    fields that are :class:`Msg` are put into words in ``lang`` first."""
    ja, en = CATALOGUE[key]
    text = en if lang == "en" else ja
    if not kw:
        return text
    words = {k: _words(lang, v) for k, v in kw.items()}
    return text.format(**words)


def _words(lang: Lang, value: object) -> object:
    """A field in ``lang``: a :class:`Msg` put into words, a list of them joined (``；`` or
    ``; ``)."""
    if isinstance(value, Msg):
        return t(lang, value.key, **value.params)
    if isinstance(value, list) and value and all(isinstance(v, Msg | str) for v in value):
        return ("; " if lang == "en" else "；").join(str(_words(lang, v)) for v in value)
    return value


def lang_from_env(env: Mapping[str, str]) -> Lang:
    """The command line's language: English when the locale variables say ``en…``, else Japanese.

    ``LC_ALL`` wins over ``LC_MESSAGES``, which wins over ``LANG`` (empty ones are skipped), so
    ``LANG=en_US.UTF-8`` gives English and ``LC_ALL=ja_JP.UTF-8 LANG=en_US.UTF-8`` Japanese.
    """
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if value:
            return "en" if value.lower().startswith("en") else "ja"
    return "ja"


def lang_from_locale(locale: str | None) -> Lang:
    """A Discord locale's language (``en-US``, ``en-GB`` → English; anything else Japanese)."""
    return "en" if locale is not None and str(locale).lower().startswith("en") else "ja"
