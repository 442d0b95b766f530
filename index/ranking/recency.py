"""Recency for questions that ask about 最近 (recently): newer passages rank higher (pure).

A question with 最近 / このところ keeps every article (an older one may still be the answer) but
lifts the recent ones: each hit's score is multiplied by ``1 + RECENCY_BOOST · freshness``, where
freshness falls from 1 for an article published now to 0 at the start of the window.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from index.models import DateWindow, Hit

RECENCY_BOOST = 0.25  # up to +25 % for an article published now


def boost_recent(hits: list[Hit], window: DateWindow, now: datetime) -> list[Hit]:
    """``hits`` re-scored for freshness within ``window`` (as of ``now``), best first."""
    if window.since is None:
        return hits
    span = (now - window.since).total_seconds() or 1.0
    out = []
    for h in hits:
        fresh = 0.0
        if h.published_at is not None:
            age = (now - h.published_at).total_seconds()
            fresh = min(1.0, max(0.0, 1.0 - age / span))
        boost = 1.0 + RECENCY_BOOST * fresh
        out.append(
            replace(h, score=h.score * boost, fused=None if h.fused is None else h.fused * boost)
        )
    out.sort(key=lambda h: (-h.relevance, h.passage_id))
    return out
