"""Splitting an article into passages: by section and paragraph, bounded length, whole sentences."""

from __future__ import annotations

from index.analysis.sentences import sentence_spans
from index.models import Article, Passage

TARGET_CHARS = 320  # pack paragraphs of a section together up to about this length
MAX_CHARS = 600  # a passage never grows past this by packing; longer paragraphs split by sentence
HARD_MAX_CHARS = 1200  # a single sentence longer than this is cut (the only cut inside a sentence)


def _paragraph_pieces(text: str, base: int) -> list[tuple[int, int]]:
    """Spans (absolute offsets) of a paragraph: whole, or groups of sentences under MAX_CHARS."""
    if len(text) <= MAX_CHARS:
        return [(base, base + len(text))]
    pieces: list[tuple[int, int]] = []
    cur_s: int | None = None
    cur_e = 0
    for s, e in sentence_spans(text):
        # A monster sentence is cut at HARD_MAX_CHARS so that no passage is unbounded.
        while e - s > HARD_MAX_CHARS:
            if cur_s is not None:
                pieces.append((base + cur_s, base + cur_e))
                cur_s = None
            pieces.append((base + s, base + s + HARD_MAX_CHARS))
            s += HARD_MAX_CHARS
        if cur_s is None:
            cur_s, cur_e = s, e
        elif e - cur_s <= MAX_CHARS:
            cur_e = e
        else:
            pieces.append((base + cur_s, base + cur_e))
            cur_s, cur_e = s, e
    if cur_s is not None:
        pieces.append((base + cur_s, base + cur_e))
    return pieces


def split_passages(article: Article) -> list[Passage]:
    """Passages of ``article`` in reading order; offsets index ``article.body``."""
    body = article.body
    passages: list[Passage] = []
    offset = 0
    for section in article.sections:
        group: tuple[int, int] | None = None
        for para in section.paragraphs:
            start = offset
            offset += len(para) + 1  # paragraphs are joined with "\n"
            for s, e in _paragraph_pieces(para, start):
                if group is not None and e - group[0] <= TARGET_CHARS:
                    group = (group[0], e)
                    continue
                if group is not None:
                    passages.append(_passage(body, len(passages), section.heading, group))
                group = (s, e)
        if group is not None:
            passages.append(_passage(body, len(passages), section.heading, group))
    return passages


def _passage(body: str, ordinal: int, heading: str | None, span: tuple[int, int]) -> Passage:
    return Passage(
        ordinal=ordinal, heading=heading, start=span[0], end=span[1], text=body[span[0] : span[1]]
    )
