"""Who is using a database file, so that ``kiji restore`` never swaps it under a running process.

Every process that opens a kiji database through :class:`~index.store.store.IndexStore` holds a shared
``flock`` on ``<db>.lock`` beside it for as long as any of its connections is open (one lock
per process and file, reference-counted). :func:`exclusive` takes the lock exclusively without
waiting, and also looks for any process with the database or its WAL open (an ``sqlite3`` shell,
an older kiji): either way it refuses, naming the processes (pid and command line from
``/proc``). A process that opens the database while a restore holds the lock waits for it (up to
:data:`WAIT_SECONDS`) and then opens the restored file.

The lock is on a separate file: opening and closing a descriptor of the database itself would drop
this process's POSIX locks on it (sqlite.org/howtocorrupt.html §2.2). The ``.lock`` file is never
deleted (deleting a lock file races with the processes that open it).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from index.errors import DatabaseError
from index.messages import Msg

WAIT_SECONDS = 30.0

_mutex = threading.Lock()
_held: dict[str, list[int]] = {}  # lock file -> [descriptor, references]


class DatabaseInUse(DatabaseError):
    """Another process (or this one) has the database open."""

    def __init__(self, message: str, users: list[tuple[int, str]] | None = None) -> None:
        super().__init__(message)
        self.users = users or []

    @classmethod
    def naming(cls, users: list[tuple[int, str]], key: str, /, **params: object) -> DatabaseInUse:
        """The error of catalogue ``key`` that names ``users`` (pid, command line)."""
        error = cls.keyed(key, **params)
        error.users = users
        return error


def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


def _key(db: Path) -> str:
    return str(lock_path(Path(os.path.abspath(db))))


def acquire_shared(db: Path, *, wait: float = WAIT_SECONDS) -> str | None:
    """Note that this process uses ``db``; returns a key for :func:`release_shared`, or None
    when no lock file can be made (a read-only directory): the database is then used unlocked."""
    key = _key(db)
    with _mutex:
        entry = _held.get(key)
        if entry is not None:
            entry[1] += 1
            return key
        try:
            fd = os.open(key, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        except OSError:
            try:
                fd = os.open(key, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                return None
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    os.close(fd)
                    raise DatabaseError.keyed("restore_in_progress", db=db) from None
                time.sleep(0.05)
        _held[key] = [fd, 1]
        return key


def release_shared(key: str | None) -> None:
    if key is None:
        return
    with _mutex:
        entry = _held.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] <= 0:
            del _held[key]
            os.close(entry[0])  # closing the descriptor releases the flock


def processes_using(db: Path) -> list[tuple[int, str]]:
    """(pid, command line) of every other process with ``db``, its WAL, shared memory or lock
    file open (Linux ``/proc``; an empty list elsewhere)."""
    db = Path(os.path.abspath(db))
    names = {str(db), f"{db}-wal", f"{db}-shm", f"{db}-journal", str(lock_path(db))}
    me = os.getpid()
    found: list[tuple[int, str]] = []
    proc = Path("/proc")
    if not proc.is_dir():
        return found
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            fds = list((entry / "fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target in names:
                found.append((int(entry.name), _cmdline(entry)))
                break
    return sorted(found)


def _cmdline(entry: Path) -> str:
    try:
        raw = (entry / "cmdline").read_bytes()
    except OSError:
        return "?"
    parts = [p.decode("utf-8", "replace") for p in raw.split(b"\0") if p]
    return " ".join(" ".join(parts).split())[:200] or "?"  # one line


def describe(users: list[tuple[int, str]]) -> str:
    return ", ".join(f"pid {pid} ({cmd})" for pid, cmd in users)


@contextmanager
def exclusive(db: Path) -> Iterator[None]:
    """Hold ``db`` exclusively (no other kiji process can open it meanwhile), or raise
    :class:`DatabaseInUse` at once naming who uses it."""
    key = _key(db)
    with _mutex:
        mine = key in _held
    if mine:
        pid = os.getpid()
        raise DatabaseInUse.naming([(pid, "this process")], "restore_open_here", db=db, pid=pid)
    fd = os.open(key, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            locked = True
        except BlockingIOError:
            locked = False
        users = processes_using(db)
        if not locked or users:
            who = describe(users) if users else Msg("restore_another_process")
            raise DatabaseInUse.naming(users, "restore_db_busy", db=db, users=who)
        yield
    finally:
        os.close(fd)
