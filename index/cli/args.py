"""Argument types shared by the ``kiji`` subcommands, so that one option is checked one way."""

from __future__ import annotations

import argparse


def positive_int(value: str) -> int:
    """An argparse ``type`` for counts such as ``-k``: an integer of at least 1 (else exit 2)."""
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1 (got {n})")
    return n
