"""Votes turned into an eval question file (``kiji feedback export``), as pure functions.

The file has the format of ``livedoor-dev/questions.jsonl`` (read by :mod:`index.answer.evaluate`)::

    {"q": "…", "kind": "fact", "gold": "<article id>", "expect_any": ["…"],
     "answer_type": null, "category": "…", "vote": "up", …}

- An answer that got more 👍 than 👎 is *helpful*: ``gold`` is the article cited by its first
  excerpt and ``expect_any`` the sentences of that excerpt (verbatim article text, any of which
  counts), so ``kiji eval`` checks that the same article is still cited with that text.
- An answer with more 👎 than 👍 is exported only on request (``include_negative``), with
  ``gold: null``, ``expect_any: []`` and ``"vote": "down"``: material to review (a maintainer
  writes in the right gold and answer), not a scored question as it stands.
- A tie is left out. Each question appears once: its latest helpful answer, else (when asked
  for) its latest unhelpful one.

Extra fields (``vote``, ``up``, ``down``, ``index_version``, ``voted_at``, ``sources``, ``shown``)
say where a line came from; ``kiji eval`` ignores them. Voter ids are never exported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from index.analysis.sentences import split_sentences
from index.store.feedback_store import ShownExcerpt, VotedAnswer

MIN_EXPECT_CHARS = 6  # a shorter piece of an excerpt is too common to say anything


def expect_strings(text: str) -> list[str]:
    """The sentences of an excerpt as verbatim article text: the "…" of a cut are removed and
    fragments shorter than :data:`MIN_EXPECT_CHARS` dropped (the whole text if nothing is left)."""
    out: list[str] = []
    for fragment in text.split("…"):
        for sentence in split_sentences(fragment):
            sentence = sentence.strip()
            if len(sentence) >= MIN_EXPECT_CHARS and sentence not in out:
                out.append(sentence)
    if not out:
        whole = text.replace("…", "").strip()
        return [whole] if whole else []
    return out


def verdict(answer: VotedAnswer) -> str | None:
    """ "up" when 👍 outnumber 👎, "down" when 👎 do, None for a tie."""
    if answer.up > answer.down:
        return "up"
    if answer.down > answer.up:
        return "down"
    return None


def _shown(excerpts: Iterable[ShownExcerpt]) -> list[dict[str, Any]]:
    return [
        {
            "n": e.n,
            "article_id": e.article_id,
            "passage_id": e.passage_id,
            "title": e.title,
            "url": e.url,
            "text": e.text,
        }
        for e in excerpts
    ]


def eval_record(answer: VotedAnswer) -> dict[str, Any] | None:
    """The question line for one voted answer (None for a tie or an answer without excerpts)."""
    vote = verdict(answer)
    if vote is None or not answer.excerpts:
        return None
    first = answer.excerpts[0]
    helpful = vote == "up"
    return {
        "q": answer.question,
        "kind": "fact",
        "gold": first.article_id if helpful else None,
        "expect_any": expect_strings(first.text) if helpful else [],
        "answer_type": None,
        "category": first.category if helpful else None,
        "vote": vote,
        "up": answer.up,
        "down": answer.down,
        "index_version": answer.index_version,
        "voted_at": answer.last_voted.isoformat(timespec="seconds"),
        "sources": list(answer.sources),
        "shown": _shown(answer.excerpts),
    }


def eval_records(
    answers: Iterable[VotedAnswer], *, include_negative: bool = False
) -> list[dict[str, Any]]:
    """One line per question, in the order questions were first voted on."""
    chosen: dict[str, tuple[VotedAnswer, dict[str, Any]]] = {}
    for answer in answers:
        record = eval_record(answer)
        if record is None or (record["vote"] == "down" and not include_negative):
            continue
        held = chosen.get(answer.question)
        if held is not None:
            held_up = held[1]["vote"] == "up"
            if held_up and record["vote"] == "down":
                continue  # a helpful answer outranks a later unhelpful one
            if held_up == (record["vote"] == "up") and held[0].last_voted > answer.last_voted:
                continue
        chosen[answer.question] = (answer, record)
    return [record for _, record in chosen.values()]


def dumps(records: Iterable[dict[str, Any]]) -> str:
    """JSON lines (UTF-8 text, one object per line)."""
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
