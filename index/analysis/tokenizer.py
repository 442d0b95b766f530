"""Japanese analysis shared by indexing and querying: SudachiPy terms with normalisation and stop POS.

Index time and query time call the same :meth:`JapaneseTokenizer.terms`, so 附属/付属,
ＳＵＭＭＥＲ/summer and 引き上げた/引き上げる meet on the same term.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from sudachipy import Dictionary, SplitMode

# Parts of speech that carry no retrieval signal: particles, auxiliary verbs, symbols, blanks.
STOP_POS = frozenset({"助詞", "助動詞", "補助記号", "記号", "空白"})

# Question words are dropped from queries only (never from documents): they say what is asked,
# not what the answer is about. Light verbs (する, ある) are kept; dropping them hurt on JSQuAD.
QUESTION_WORDS = frozenset(
    {
        "何", "なに", "なん", "いつ", "どこ", "誰", "だれ", "どなた", "どの", "どれ", "どちら",
        "どっち", "なぜ", "何故", "どう", "どうして", "どんな", "如何", "いかが", "いくら", "幾ら",
        "いくつ", "幾つ", "何時", "何処", "教える", "知る", "ですか", "どん", "何者", "何方",
        "どのような", "どういう", "如何なる", "いかなる", "いつ頃", "何時頃",
    }
)  # fmt: skip

_SPLIT_MODES = {"A": SplitMode.A, "B": SplitMode.B, "C": SplitMode.C}

# Only compounds longer than this are split into their mode-A parts (short words have none).
_MIN_COMPOUND_CHARS = 3
_FOLD_CACHE = 50_000  # normalised forms remembered with their folded term, per tokenizer
# Sudachi's word ids from here up name no dictionary entry but an unknown word's part of speech
# (its surface is the text's own): their terms are never remembered by word id.
_OOV_WORD_ID = 0xF000_0000
_WORD_CACHE = 20_000  # dictionary words remembered with their terms, per tokenizer (default: ~3 MB)
_UNSPLIT = ("\x00",)  # a word's compound parts not looked up yet (none of its surfaces was long)


@lru_cache(maxsize=1)
def shared_dictionary() -> Dictionary:
    """The one Sudachi dictionary of this process (memory-mapped, safe to share across threads)."""
    return Dictionary()


def fold(term: str) -> str:
    """NFKC + lower case: full-width/half-width and letter case never separate two terms."""
    return unicodedata.normalize("NFKC", term).lower()


class Morph(NamedTuple):
    """One Sudachi morpheme of the main segmentation with what answer analysis reads of it
    (a named tuple: answers build thousands per question, and tuples are the cheapest)."""

    start: int
    end: int
    surface: str
    pos: tuple[str, str, str]  # the first three part-of-speech fields (名詞, 固有名詞, 人名)
    norm: str  # folded normalised form
    form: str = ""  # conjugation form (命令形 …), "*" when none

    @property
    def is_number(self) -> bool:
        return self.pos[1] == "数詞"

    @property
    def is_counter(self) -> bool:
        return self.pos[2] == "助数詞可能" or (self.pos[0] == "接尾辞" and self.pos[2] == "助数詞")


@dataclass(frozen=True)
class Token:
    """A retrieval term with the span of the surface text it came from."""

    term: str
    start: int
    end: int


class JapaneseTokenizer:
    """Turns Japanese text into BM25 terms.

    A Sudachi ``Tokenizer`` is not thread-safe ("Tokenizer is already in use"), so each thread
    gets its own over the one shared ``Dictionary`` (see sudachi.rs #289).

    :param mode: split mode of the main segmentation (C keeps 国家公務員 whole).
    :param compound_parts: also emit the mode-A parts of long compounds (関西国際空港 → 関西, 国際,
        空港), the "search mode" of analysis-sudachi, so that a part finds the whole.
    :param word_cache: how many dictionary words it remembers by word id (the ingest's
        workers, which read whole corpora, keep more than a serving process).
    """

    def __init__(
        self, mode: str = "C", compound_parts: bool = True, *, word_cache: int = _WORD_CACHE
    ) -> None:
        if mode not in _SPLIT_MODES:
            raise ValueError(f"split mode must be one of A, B, C (got {mode!r})")
        self.mode = mode
        self.compound_parts = compound_parts and mode != "A"
        self.word_cache = word_cache
        self._dictionary = shared_dictionary()
        self._stop = self._dictionary.pos_matcher(lambda pos: pos[0] in STOP_POS)
        self._local = threading.local()
        self._folded: dict[str, str] = {}  # normalized_form → fold(normalized_form)
        # dictionary word id → (its term or None for a stop word, its compound parts' terms or
        # None): what terms() reads of a known word, which the dictionary alone decides
        self._words: dict[int, tuple[str | None, tuple[str, ...] | None]] = {}
        # and what analyse() reads of it (:meth:`_morph`)
        self._morphs: dict[int, tuple[tuple[str, str, str], str, str, bool]] = {}
        # POS id → (first three fields, conjugation form)
        self._pos_of: dict[int, tuple[tuple[str, str, str], str]] = {}

    def _tokenizer(self):
        tok = getattr(self._local, "tok", None)
        if tok is None:
            tok = self._dictionary.tokenizer(mode=_SPLIT_MODES[self.mode])
            self._local.tok = tok
        return tok

    def tokens(self, text: str) -> list[Token]:
        """Terms with their character offsets in ``text`` (compound parts share their span)."""
        out: list[Token] = []
        if not text:
            return out
        stop = self._stop
        split_a = SplitMode.A
        for m in self._tokenizer().tokenize(text):
            if stop(m):
                continue
            term = fold(m.normalized_form())
            if not term or term.isspace():
                continue
            start, end = m.begin(), m.end()
            out.append(Token(term, start, end))
            if self.compound_parts and end - start >= _MIN_COMPOUND_CHARS:
                parts = m.split(split_a)
                if len(parts) > 1:
                    for p in parts:
                        if not stop(p):
                            out.append(Token(fold(p.normalized_form()), p.begin(), p.end()))
        return out

    def analyse(self, text: str) -> tuple[list[Token], list[Morph]]:
        """:meth:`tokens` and every morpheme with its part of speech, from one Sudachi pass.

        Answer composition reads the parts of speech (人名, 地名, 数詞, counters) of the few
        passages it quotes from; indexing never pays for them.
        """
        out: list[Token] = []
        morphs: list[Morph] = []
        if not text:
            return out, morphs
        split_a = SplitMode.A
        known = self._morphs
        new_morph = tuple.__new__  # Morph's own __new__ is a Python function: 3x slower
        for m in self._tokenizer().tokenize(text):
            wid = m.word_id()
            entry = known.get(wid)
            if entry is None:
                entry = self._morph(m, wid)
            pos, norm, conj, keep = entry
            start, end = m.begin(), m.end()
            morphs.append(new_morph(Morph, (start, end, text[start:end], pos, norm, conj)))
            if not keep:
                continue
            out.append(Token(norm, start, end))
            if self.compound_parts and end - start >= _MIN_COMPOUND_CHARS:
                parts = m.split(split_a)
                if len(parts) < 2:
                    continue
                for p in parts:
                    if p.part_of_speech()[0] not in STOP_POS:
                        part = self._fold_cached(p.normalized_form())
                        out.append(Token(part, p.begin(), p.end()))
        return out, morphs

    def terms(self, text: str, words: list[str] | None = None) -> list[str]:
        """The terms of ``text``, in order, duplicates kept (term frequency counts).

        The same terms as :meth:`tokens` without the offsets, on the path every indexed passage
        takes: no ``Token`` objects, and what a dictionary word gives (its term, whether it is a
        stop word, its compound parts) is worked out once and then looked up by its word id.
        ``words``, if given, also receives the terms of the main segmentation alone (no
        compound parts), from the same pass: the word pairs of :mod:`index.ranking.fusion`.
        """
        out: list[str] = []
        if not text:
            return out
        append = out.append
        known = self._words
        word = self._word
        for m in self._tokenizer().tokenize(text):
            wid = m.word_id()
            entry = known.get(wid)
            if entry is None:
                entry = word(m, wid)
            term, parts = entry
            if term is None:
                continue
            append(term)
            if words is not None:
                words.append(term)
            # the surface's length decides, not the word's: ｰｰｰ and ー are the same word
            if parts is not None and m.end() - m.begin() >= _MIN_COMPOUND_CHARS:
                if parts is _UNSPLIT:
                    parts = self._split(m, wid, term)
                    if parts is None:
                        continue
                out.extend(parts)
        return out

    def _word(self, m, wid: int) -> tuple[str | None, tuple[str, ...] | None]:
        """(term, compound parts' terms) of morpheme ``m`` as :meth:`tokens` makes them (None
        for a stop word or a blank; no parts for a word that has none), remembered by word id
        for dictionary words (an unknown word's id names only its part of speech)."""
        entry: tuple[str | None, tuple[str, ...] | None] = (None, None)
        stop = self._stop
        if not stop(m):
            term = self._fold_cached(m.normalized_form())
            if term and not term.isspace():
                entry = (term, _UNSPLIT if self.compound_parts else None)
        if wid < _OOV_WORD_ID:
            if len(self._words) >= self.word_cache:  # bounded like _folded
                self._words.clear()
            self._words[wid] = entry
        return entry

    def _split(self, m, wid: int, term: str) -> tuple[str, ...] | None:
        """The terms of the mode-A parts of ``m`` (None: it has none), remembered with the word
        (looked up only once a long enough surface of it asks: most words never do)."""
        split = m.split(SplitMode.A)
        parts = None
        if len(split) > 1:
            stop = self._stop
            parts = tuple(self._fold_cached(p.normalized_form()) for p in split if not stop(p))
        if wid < _OOV_WORD_ID:
            self._words[wid] = (term, parts)
        return parts

    def _morph(self, m, wid: int) -> tuple[tuple[str, str, str], str, str, bool]:
        """(part of speech, folded normalised form, conjugation form, whether it is a term) of
        morpheme ``m`` for :meth:`analyse`, remembered by word id for dictionary words like
        :meth:`_word`."""
        got = self._pos_of.get(m.part_of_speech_id())
        if got is None:
            full = m.part_of_speech()
            got = self._pos_of[m.part_of_speech_id()] = ((full[0], full[1], full[2]), full[5])
        pos, conj = got
        norm = self._fold_cached(m.normalized_form())
        keep = pos[0] not in STOP_POS and bool(norm) and not norm.isspace()
        entry = (pos, norm, conj, keep)
        if wid < _OOV_WORD_ID:
            if len(self._morphs) >= self.word_cache:
                self._morphs.clear()
            self._morphs[wid] = entry
        return entry

    def _fold_cached(self, form: str) -> str:
        term = self._folded.get(form)
        return term if term is not None else self._fold(form)

    def _fold(self, form: str) -> str:
        if len(self._folded) >= _FOLD_CACHE:  # bounded: a long-running bot sees endless text
            self._folded.clear()
        term = self._folded[form] = fold(form)
        return term

    def query_terms(self, text: str) -> list[str]:
        """The terms of a question: :meth:`terms` minus question words (何, いつ, どこ …).

        If a question is made only of question words, they are kept rather than losing it all.
        """
        return question_terms(self.tokens(text))


def question_terms(tokens: list[Token]) -> list[str]:
    """The terms of a question's :meth:`JapaneseTokenizer.tokens` minus question words (the
    searcher tokenises a question once for its terms and its fusion signals)."""
    # A question word's mode-A parts go with it: いくつ → 幾, つ must not find いくつか.
    asked = [(t.start, t.end) for t in tokens if t.term in QUESTION_WORDS]
    kept = [
        t.term
        for t in tokens
        if t.term not in QUESTION_WORDS and not any(a <= t.start and t.end <= b for a, b in asked)
    ]
    return kept or [t.term for t in tokens]
