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
# Net allocations of container objects (allocated minus freed) between two collections of the
# youngest generation (CPython's default: 700). An answer's morpheme and token lists grow by
# tens of thousands of tuples before they are freed together, and kiji makes no reference
# cycles: over 1,000 JSQuAD questions on a 457k index the collector ran 352 young (0.28 s, each
# walking those big young lists), 32 middle (0.44 s) and 3 full collections (0.24 s, ~80 ms
# each, inside one answer), and collected nothing. At 20,000: 3 young collections, 0.09 s;
# answer p50 9.2-9.5 -> 8.5-9.0 ms, p99 39-42 -> 33 ms. Garbage in a cycle waits longer.
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
