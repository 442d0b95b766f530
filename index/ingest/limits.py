"""Caps on what one input may cost (memory, time), with defaults and their environment variables.

Every cap has a default that real corpora never reach; an operator can change it with the
variable named beside it (also listed in ``.env.example``). Values are read when an ingest or a
fetcher starts, never at import.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from index.errors import NewsIndexError
from index.models import MAX_KEPT_REJECTIONS

MAX_DECOMPRESSED_ENV = "KIJI_INGEST_MAX_DECOMPRESSED"
MAX_GZIP_RATIO_ENV = "KIJI_INGEST_MAX_GZIP_RATIO"
KEEP_REJECTIONS_ENV = "KIJI_INGEST_KEEP_REJECTIONS"
FETCH_DEADLINE_ENV = "KIJI_FETCH_DEADLINE"

DEFAULT_MAX_DECOMPRESSED = 2 * 1024**3  # bytes one .gz file may expand to
# Text compresses 3-10x with gzip; a gzip bomb (runs of one byte) compresses about 1000x. The
# ratio is checked once RATIO_GRACE bytes have come out, so small repetitive files pass.
DEFAULT_MAX_GZIP_RATIO = 100.0
RATIO_GRACE = 1024 * 1024
DEFAULT_FETCH_DEADLINE = 30.0  # seconds for one whole HTTP fetch: connect, headers and body

_SIZE_RE = re.compile(r"(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


class ConfigError(NewsIndexError):
    """A cap set in the environment that is not a valid value."""


def parse_size(value: str, name: str) -> int:
    """``"2G"``, ``"512M"``, ``"64k"`` or a number of bytes.

    :raises ConfigError: naming the variable, for anything else or a value below 1 byte.
    """
    m = _SIZE_RE.fullmatch(value.strip())
    if m is None or float(m.group(1)) < 1:
        raise ConfigError.keyed("setting_not_size", name=name, value=value)
    unit = (m.group(2) or "").lower()[:1]
    return int(float(m.group(1)) * _UNITS[unit])


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise ConfigError.keyed("setting_not_positive", name=name, value=raw)
    return value


@dataclass(frozen=True)
class IngestLimits:
    """Caps per input file of ``kiji ingest``.

    :param max_decompressed: bytes a ``.gz`` file may expand to before it is refused.
    :param max_gzip_ratio: expansion ratio past which a ``.gz`` file is refused as a gzip bomb
        (checked after the first ``RATIO_GRACE`` bytes).
    :param keep_rejections: rejections kept for the report; further ones are only counted.
    """

    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED
    max_gzip_ratio: float = DEFAULT_MAX_GZIP_RATIO
    keep_rejections: int = MAX_KEPT_REJECTIONS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> IngestLimits:
        """The caps set by ``KIJI_INGEST_*`` variables (defaults for unset ones).

        :raises ConfigError: for a value that is not valid.
        """
        env = os.environ if env is None else env
        raw = env.get(MAX_DECOMPRESSED_ENV, "").strip()
        keep = _positive(env, KEEP_REJECTIONS_ENV, MAX_KEPT_REJECTIONS)
        return cls(
            max_decompressed=parse_size(raw, MAX_DECOMPRESSED_ENV)
            if raw
            else DEFAULT_MAX_DECOMPRESSED,
            max_gzip_ratio=_positive(env, MAX_GZIP_RATIO_ENV, DEFAULT_MAX_GZIP_RATIO),
            keep_rejections=int(keep),
        )


def fetch_deadline(env: Mapping[str, str] | None = None) -> float:
    """Seconds one fetch may take in all (``KIJI_FETCH_DEADLINE``, default 30).

    :raises ConfigError: for a value that is not a positive number.
    """
    return _positive(os.environ if env is None else env, FETCH_DEADLINE_ENV, DEFAULT_FETCH_DEADLINE)
