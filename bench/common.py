"""Shared helpers for the benchmarks: locating ../shared, loading JSQuAD, percentiles, tables."""

from __future__ import annotations

import gzip
import json
import platform
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
JSQUAD = SHARED / "eval" / "jsquad" / "valid-v1.3.json"
LIVEDOOR = SHARED / "data" / "livedoor_news_corpus.jsonl.gz"
AOZORA = sorted((SHARED / "data").glob("aozora_bunko_passages.part-*.jsonl.gz"))


def require_shared() -> None:
    """Exit 0 with a note when ../shared is absent (a fresh clone elsewhere)."""
    if not JSQUAD.exists() or not LIVEDOOR.exists():
        print(f"skipped: {SHARED} not found (the shared data sets are not part of the project)")
        sys.exit(0)


def jsquad() -> tuple[list[tuple[str, str]], list[tuple[str, int, list[str]]]]:
    """(paragraphs as (title, text), questions as (question, paragraph index, answers))."""
    data = json.loads(JSQUAD.read_text(encoding="utf-8"))["data"]
    paragraphs: list[tuple[str, str]] = []
    questions: list[tuple[str, int, list[str]]] = []
    for article in data:
        for para in article["paragraphs"]:
            title, _, text = para["context"].partition(" [SEP] ")
            idx = len(paragraphs)
            paragraphs.append((title.strip() or article["title"], text.strip()))
            for qa in para["qas"]:
                questions.append((qa["question"], idx, [a["text"] for a in qa["answers"]]))
    return paragraphs, questions


def jsquad_queries(n: int, seed: int = 0) -> list[str]:
    """``n`` distinct JSQuAD questions, picked at random with a fixed seed (the same each run)."""
    _, questions = jsquad()
    picks = np.random.default_rng(seed).choice(
        len(questions), min(n, len(questions)), replace=False
    )
    return [questions[i][0] for i in picks]


def jsonl_records(path: Path) -> Iterator[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def pct(values: list[float] | np.ndarray, q: float) -> float:
    return (
        float(np.percentile(np.asarray(values, dtype=np.float64), q))
        if len(values)
        else float("nan")
    )


def machine() -> str:
    import os

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def header(title: str) -> None:
    print(f"\n### {title}\n")
    print(f"Measured {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} on {machine()}.\n")


def table(columns: list[str], rows: list[list[object]]) -> None:
    print("| " + " | ".join(columns) + " |")
    print("|" + "|".join("---" for _ in columns) + "|")
    for row in rows:
        print("| " + " | ".join(_fmt(c) for c in row) + " |")
    sys.stdout.flush()


def _fmt(value: object) -> str:
    if isinstance(value, float):
        if value != value:
            return "—"
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
