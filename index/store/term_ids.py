"""A writer's memory of the term ids it has met, and the terms it creates.

The terms table gives each distinct term an id (``tid``) and keeps its document frequency.
A batch's vocabulary (a million terms in a bulk load's batch, most of them the fusion signal
terms of :mod:`index.ranking.fusion`) is mapped to ids through :class:`TermIdMemory`:
remembered ids first (:class:`index.store.counting.TermIds`), then the table, and the terms
still missing are created, with ids in the order of their text.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from index.store import counting

if TYPE_CHECKING:  # the store calls the writer; this only names the store
    from index.store.store import IndexStore

TID_CACHE = 2_000_000  # term ids remembered besides word pairs (~200 MB at most), then start over


class TermIdMemory:
    """The term ids one writer remembers, valid while the index's ``merge_gen`` is unchanged
    (a full merge may drop terms), and whether they are every term of the table."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self.known = counting.TermIds()  # term → tid
        self._gen = -1
        self._complete = False  # the memory holds every term of the table (see _create)
        self._top: int | None = -1  # the table's greatest tid when this writer last wrote

    def __len__(self) -> int:
        return len(self.known)

    def forget(self) -> None:
        """Start over (after a rollback: the memory may name terms it removed)."""
        self.known.clear()
        self._complete = False

    def synced(self, conn) -> None:
        """Note the table's greatest tid as this writer leaves it (inside its transaction)."""
        self._top = conn.execute("SELECT max(tid) FROM terms").fetchone()[0]

    def ids(self, conn, terms: Sequence[str], new: dict[int, str] | None = None) -> np.ndarray:
        """tid of every term (in order), creating the missing terms with df 0; with ``new``,
        a missing term only gets its tid there, for the caller to insert (with its df) later
        in the same transaction."""
        row = conn.execute("SELECT value FROM meta WHERE key = 'merge_gen'").fetchone()
        if (gen := int((row or [0])[0])) != self._gen or len(self.known) > TID_CACHE:
            self.forget()  # a full merge may have dropped terms; or the memory is full
            self._gen = gen
            # but never the terms this transaction created and has not inserted yet
            self.known.update((t, tid) for tid, t in (new or {}).items())
        ids, missing = self.known.lookup(terms)  # the missing ones with placeholders
        if not missing:
            return ids
        try:
            tid_of = self._create(conn, sorted(missing), new)  # sorted: look-ups walk forwards
            self.known.resolve(ids, missing, np.fromiter(
                map(tid_of.__getitem__, missing), dtype=np.int64, count=len(missing)
            ))  # fmt: skip
        except BaseException:
            self.forget()  # the placeholders must not outlive this call
            raise
        return ids

    def _create(self, conn, missing: list[str], new: dict[int, str] | None) -> dict[str, int]:
        """The tids of terms this writer does not remember (sorted), those the table lacks
        created. While the writer remembers every term of the table (it has seen the table
        empty, and no other writer has added a term since: the greatest tid is the one it
        left), nothing is looked up: at ~1M terms those look-ups were a tenth of a bulk
        ingest's writing."""
        top = conn.execute("SELECT max(tid) FROM terms").fetchone()[0]
        self._complete = top is None or (self._complete and top == self._top)
        found: dict[str, int] = {}
        for i in range(0, 0 if self._complete else len(missing), 500):
            part = missing[i : i + 500]  # another writer may have some
            found.update(
                conn.execute(
                    f"SELECT term, tid FROM terms WHERE term IN ({','.join('?' * len(part))})",
                    part,
                ).fetchall()
            )
        # New terms get their ids in the order of their text: the inserts then walk both
        # b-trees of the terms table (tid and term) forwards instead of at random (-40 %).
        fresh = [t for t in missing if t not in found] if found else missing
        if fresh:
            top = top or 0
            next_tid = max(top, max(new, default=0)) + 1 if new is not None else top + 1
            tids = range(next_tid, next_tid + len(fresh))
            if new is None:
                rows = [(tid, t, 0) for tid, t in zip(tids, fresh, strict=True)]
                self.store.insert_rows(conn, "terms", ("tid", "term", "df"), rows)
            else:
                new.update(zip(tids, fresh, strict=True))
            found.update(zip(fresh, tids, strict=True))
        return found
