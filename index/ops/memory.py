"""A serving process's memory: giving the C heap's free pages back to the system between
questions (glibc ``malloc_trim``), and how often Python's cyclic garbage collector runs.

A search reads postings blobs of every size: SQLite assembles each into a buffer, Python copies
it, numpy decodes it. Freed, they leave holes in the middle of the heap that ``free()`` never
returns (only the top of the heap shrinks by itself): about 17 MB of a serving process over 353k
passages. ``malloc_trim(0)`` hands every whole free page back (``MADV_DONTNEED``): ~2 ms there, so
a serving loop calls :func:`release_free_heap` once it is idle, never while a question waits. A
fixed ``M_MMAP_THRESHOLD`` would avoid the holes instead, but doubled the p90 CPU of a query
(every large buffer mapped and unmapped again).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
import sys
from collections.abc import Callable
from functools import cache

log = logging.getLogger(__name__)

IDLE_S = 2.0  # seconds without a question after which a serving loop gives the free heap back
# Allocations of container objects between two collections of the youngest generation
# (CPython's default: 700). An answer builds ~10^5 short-lived tuples (morphemes, tokens,
# spans) that die with it, and very few reference cycles: at 700 the collector ran ~150 times a
# question, each time walking the tuples still in use, and now and then a full collection over
# every cache. 1,000 JSQuAD questions on a 457k index spent 0.66-0.74 s in it; at 20,000,
# 0.08-0.10 s (5,000: 0.26-0.37, 50,000: 0.045), answer p50 9.2-9.5 -> 8.5-9.0 ms and p99
# 39-42 -> 33 ms. Garbage in a cycle waits a little longer to be freed: kilobytes.
GC_YOUNG = 20_000


def tune_gc() -> None:
    """Collect the youngest generation every :data:`GC_YOUNG` allocations (the older
    generations' thresholds are kept). Process-wide: the command line sets it at start."""
    _young, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG, older, oldest)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None (another C library: musl, macOS)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        fn = libc.malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_size_t]
    fn.restype = ctypes.c_int
    return fn


def release_free_heap() -> bool:
    """Return the free pages of the C heap to the system; False where the C library has no
    ``malloc_trim`` (nothing done). Does not free anything still in use, and costs a few
    milliseconds: call it when idle."""
    fn = _malloc_trim()
    if fn is None:
        return False
    fn(0)
    return True
