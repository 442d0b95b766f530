"""The history of ``kiji chat`` (arrow keys recall earlier questions): where it lives, how big it
gets, and how to turn it off.

Every question typed at the prompt is kept, pasted text included, in ``chat_history`` next to the
database (``~/.local/share/kiji/chat_history`` by default), readable by its owner only. The file
is trimmed to the newest ``KIJI_CHAT_HISTORY_MAX`` questions (default 500) when a session starts.
``KIJI_CHAT_HISTORY`` names another file, or ``off`` keeps the history in memory only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from index.config import default_db_path

DEFAULT_MAX_ENTRIES = 500
OFF_WORDS = frozenset({"off", "0", "no", "false", "none"})


def history_path(db: Path | str, env: Mapping[str, str] | None = None) -> Path | None:
    """The history file for a chat over ``db``, or None when ``KIJI_CHAT_HISTORY=off``."""
    env = os.environ if env is None else env
    value = env.get("KIJI_CHAT_HISTORY", "").strip()
    if value.lower() in OFF_WORDS:
        return None
    if value:
        return Path(value).expanduser()
    if isinstance(db, str):  # a postgresql:// index: the history stays with the user
        return default_db_path({**env, "KIJI_DB": ""}).parent / "chat_history"
    return db.parent / "chat_history"


def max_entries(env: Mapping[str, str] | None = None) -> int:
    """``KIJI_CHAT_HISTORY_MAX`` (at least 1), else 500."""
    env = os.environ if env is None else env
    try:
        return max(1, int(env.get("KIJI_CHAT_HISTORY_MAX", DEFAULT_MAX_ENTRIES)))
    except ValueError:
        return DEFAULT_MAX_ENTRIES


def trim_history(path: Path, keep: int = DEFAULT_MAX_ENTRIES) -> int:
    """Keep the newest ``keep`` entries of a prompt_toolkit history file (``# time`` line, then
    ``+line``s), rewritten atomically with mode 0600. Returns the entries dropped."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return 0
    entries: list[list[bytes]] = []
    for line in raw.splitlines(keepends=True):
        if line.startswith(b"#") or not entries:
            entries.append([])
        entries[-1].append(line)
    entries = [e for e in entries if any(ln.startswith(b"+") for ln in e)]
    dropped = max(0, len(entries) - keep)
    if dropped == 0:
        os.chmod(path, 0o600)
        return 0
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        for entry in entries[dropped:]:
            f.write(b"\n" + b"".join(entry))
    os.replace(tmp, path)
    return dropped


def open_history(db: Path | str, env: Mapping[str, str] | None = None):
    """A prompt_toolkit history for ``kiji chat``: the trimmed file, or memory only (``off``, or
    a file that cannot be written)."""
    from prompt_toolkit.history import FileHistory, InMemoryHistory

    path = history_path(db, env)
    if path is None:
        return InMemoryHistory()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        trim_history(path, max_entries(env))
    except OSError:
        return InMemoryHistory()
    return FileHistory(str(path))
