"""Reading each passage once for an answer: its terms and morphemes (one Sudachi pass), and
the candidate answer spans and normalised text derived from them when first asked, kept by
passage id in a small LRU (:class:`PassageAnalyses`), for the excerpts, the not-found evidence
and related articles alike.
"""

from __future__ import annotations

from collections import OrderedDict

from index.analysis.tokenizer import JapaneseTokenizer, Morph, Token
from index.answer.excerpt_text import normalised
from index.models import Hit
from index.ranking.answer_spans import Span, find_spans

# Tokenised passages kept (LRU), ~40 KB each (morphemes as Python objects): 4,096 would grow a
# serving process by ~170 MB. A question analyses ~5 passages it has not met before, and the
# cache only pays when passages come back (within a question, a follow-up): 256 answered 300
# JSQuAD questions in the same CPU time as 4,096 (24.2 vs 24.4 ms p50 at 353k passages).
TOKEN_CACHE_PASSAGES = 256


class Analysed:
    """A passage's terms and morphemes; answer spans and the normalised text when first asked."""

    __slots__ = ("_norm", "_spans", "morphs", "text", "tokens")

    def __init__(self, text: str, tokens: list[Token], morphs: list[Morph]) -> None:
        self.text = text
        self.tokens = tokens
        self.morphs = morphs
        self._spans: list[Span] | None = None
        self._norm: str | None = None

    @property
    def spans(self) -> list[Span]:
        if self._spans is None:
            self._spans = find_spans(self.text, self.morphs)
        return self._spans

    @property
    def normalised(self) -> str:
        if self._norm is None:
            self._norm = normalised(self.morphs)
        return self._norm


class PassageAnalyses:
    """Passages' analyses, cached. One per :class:`~index.answer.excerpts.ExcerptPicker` (and
    so per thread): the caches are not locked."""

    def __init__(self, tokenizer: JapaneseTokenizer) -> None:
        self.tokenizer = tokenizer
        self._titles: dict[tuple[str, str], set[str]] = {}
        self._tokens: OrderedDict[int, Analysed] = OrderedDict()

    def title_terms(self, hit: Hit) -> set[str]:
        """Terms of a passage's title and heading, cached per (title, heading)."""
        key = (hit.title, hit.heading or "")
        got = self._titles.get(key)
        if got is None:
            got = set(self.tokenizer.terms(hit.title)) | set(
                self.tokenizer.terms(hit.heading or "")
            )
            if len(self._titles) > TOKEN_CACHE_PASSAGES:
                self._titles.clear()
            self._titles[key] = got
        return got

    def analysis(self, hit: Hit) -> Analysed:
        """Terms and morphemes of a passage, cached by passage id (a passage's text never
        changes: an updated article gets new passage ids)."""
        cache = self._tokens
        got = cache.get(hit.passage_id)
        if got is None:
            tokens, morphs = self.tokenizer.analyse(hit.text)
            got = Analysed(hit.text, tokens, morphs)
            cache[hit.passage_id] = got
            if len(cache) > TOKEN_CACHE_PASSAGES:
                cache.popitem(last=False)
        else:
            cache.move_to_end(hit.passage_id)
        return got

    def terms_of(self, passage_id: int, text: str) -> list[str]:
        """The terms of a passage (``tokenizer.terms``), from its analysis when this picker
        has read it already (the cited article's lead passages, for related articles)."""
        got = self._tokens.get(passage_id)
        if got is not None and got.text == text:
            return [t.term for t in got.tokens]
        return self.tokenizer.terms(text)
