"""Searcher: BM25 over the packed postings of the query terms only, with exact statistics.

Per query: look up the query terms, decode each term's postings (int32 passage ids + uint16
counts) with ``np.frombuffer``, add ``idf · tf · (k1+1) / (tf + norm[id])`` into a dense score
array, then select the top k with a threshold (no sort of the whole array; :mod:`.topk`). The
per-passage arrays are kept in memory and refreshed when another connection commits."""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from index.analysis.tokenizer import QUESTION_WORDS, JapaneseTokenizer, Token, question_terms
from index.errors import InvalidQuery
from index.models import Hit, SearchResult
from index.ranking import bm25, fusion
from index.ranking.bm25 import BM25Params
from index.search.postings import PostingsCache, signal_scores
from index.search.topk import Passages, Scored, TermWeights, Weights, accumulate, top_k
from index.store.store import IndexStore, QueryPostings, parse_dt

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 1000
CACHE_MIN_DF = 5_000  # decoded postings of terms at least this common are cached
CACHE_BYTES = 20 * 1024 * 1024  # see _term_weights: at 457k passages a searching process is
# 97.6 MB private busy with 20 MB (101.8 with 24), no slower; 40 MB was a third of its memory
MEAN_IDF_MAX_AGE = 5.0  # seconds a vocabulary-wide mean idf may lag behind ongoing writes


class Searcher:
    """Ranks passages for a query. One per thread (it owns a store connection's read path)."""

    def __init__(
        self,
        store: IndexStore,
        tokenizer: JapaneseTokenizer,
        params: BM25Params | None = None,
        *,
        cache_bytes: int = CACHE_BYTES,
        fusion_params: fusion.FusionParams | None = None,
    ) -> None:
        self.store = store
        self.tokenizer = tokenizer
        self.params = params or BM25Params()
        self.fusion = fusion_params or fusion.FusionParams()
        self._cache = PostingsCache(cache_bytes)
        self._data_version: int | None = None
        self._merge_gen = -1
        self._max_pid = 0
        # Per passage: lengths as int32 (exact; 4 bytes a passage, not 8), used as float64 only
        # in the length normalisation and the fusion signals' BM25.
        self._dl = np.zeros(1, dtype=np.int32)
        self._live = np.zeros(1, dtype=bool)
        self._ts = np.full(1, np.nan)
        self._stub = np.zeros(1, dtype=bool)
        self._art = np.zeros(1, dtype=np.int64)
        self._sdl = np.zeros((1, fusion.N_SIGNALS), dtype=np.int32)  # signal lengths
        self._norm = np.zeros(1, dtype=np.float64)
        self._n_docs = 0
        self._avgdl = 0.0
        self._signal_avgdl = (0.0,) * fusion.N_SIGNALS
        self._signals_ready = False
        self._mean_idf: float | None = None
        self._mean_idf_stale: float | None = None  # the last value, while writes keep coming
        self._mean_idf_at = -math.inf
        self._scores = np.zeros(1, dtype=np.float64)
        self._hit = np.zeros(1, dtype=bool)
        self._warned = False
        self._last_tokens: tuple[str, list[Token]] = ("", [])
        store.tune_for_reads()
        self.refresh()

    # ------------------------------------------------------------------ keeping up with writes
    def refresh(self) -> None:
        """Reload what changed since the last look (cheap when nothing did)."""
        with self.store.snapshot():
            self._refresh_to(self.store.data_version())  # starts the read transaction

    def _refresh_to(self, version: int) -> None:
        """Load what changed up to ``version``, the data version of the current snapshot."""
        if version == self._data_version:
            return
        self._cache.clear()  # its weights hold the old statistics (and the old length arrays)
        with self.store.snapshot():
            meta = self.store.meta()
            merge_gen = int(meta.get("merge_gen", 0))
            if merge_gen != self._merge_gen:
                self._merge_gen = merge_gen
                self._max_pid = 0  # the packed doc arrays were rewritten: reload them all
                self._live[:] = False  # (passages purged by a full merge are in them no more)
            # ascending passage ids: without a gap (the usual case) copied as one slice
            pid, dl, ts, stub, art, sdl = self.store.load_docs(self._max_pid)
            if len(pid):
                size = int(pid[-1]) + 1
                self._grow(size)
                at = slice(int(pid[0]), size) if size - int(pid[0]) == len(pid) else pid
                self._dl[at] = dl
                self._live[at] = True
                self._ts[at] = ts
                self._stub[at] = stub
                self._art[at] = art
                self._sdl[at] = sdl
                self._max_pid = size - 1
            dead = self.store.tombstones()
            dead = dead[dead < len(self._live)]
            self._live[dead] = False
            self._n_docs = int(meta.get("n_docs", 0))
            total = int(meta.get("total_len", 0))
            self._avgdl = total / self._n_docs if self._n_docs else 0.0
            self._signal_avgdl = tuple(
                int(meta.get(f"total_len_{name}", 0)) / self._n_docs if self._n_docs else 0.0
                for name in fusion.SIGNALS
            )
            self._signals_ready = "signals_missing_below" not in meta
            if not self._signals_ready and not self._warned:
                self._warned = True
                log.warning(
                    "this index was built before lexical fusion: ranking by plain BM25 until "
                    "`kiji optimize` adds the fusion postings"
                )
            if self._mean_idf is not None:
                self._mean_idf_stale = self._mean_idf
            self._mean_idf = None
        norm = bm25.length_norm(self._dl, self._avgdl, self.params)
        norm[~self._live] = np.inf  # a deleted passage gets weight 0 from every term
        self._norm = norm
        self._data_version = version

    def _grow(self, size: int) -> None:
        if size <= len(self._dl):
            return
        cap = max(size, int(len(self._dl) * 1.25) + 1024)

        def grown(a: np.ndarray, fill: float | bool | int) -> np.ndarray:
            out = np.full((cap, *a.shape[1:]), fill, dtype=a.dtype)  # signal lengths: 2-D
            out[: len(a)] = a
            return out

        self._dl, self._live = grown(self._dl, 0), grown(self._live, False)
        self._ts, self._stub = grown(self._ts, np.nan), grown(self._stub, False)
        self._art, self._sdl = grown(self._art, 0), grown(self._sdl, 0)
        self._scores = np.zeros(cap, dtype=np.float64)
        self._hit = np.zeros(cap, dtype=bool)

    @property
    def n_docs(self) -> int:
        return self._n_docs

    def _idf(self, df: int) -> float:
        raw = bm25.raw_idf(self._n_docs, df)
        assert isinstance(raw, float)
        if raw >= 0:
            return raw
        if self._mean_idf is None:  # rare: only terms in more than half the passages need it
            # The mean runs over the whole vocabulary (a scan of every term's df). While another
            # process commits every second, rescanning after each commit cost queries ~100 ms;
            # so a value at most MEAN_IDF_MAX_AGE old is reused until writes pause. A static
            # index is always exact (the parity tests with rank_bm25 rely on that).
            now = time.monotonic()
            if self._mean_idf_stale is not None and now - self._mean_idf_at < MEAN_IDF_MAX_AGE:
                return self.params.epsilon * self._mean_idf_stale
            mean = self.store.mean_raw_idf(self._n_docs)
            if mean is None:
                mean = bm25.mean_idf(self._n_docs, self.store.all_dfs())
            self._mean_idf = mean
            self._mean_idf_at = now
        return self.params.epsilon * self._mean_idf

    def _term_weights(
        self, tid: int, term: str, df: int, rows: list[tuple[int, bytes, bytes]] | None
    ) -> list[tuple[np.ndarray, np.ndarray | Weights]]:
        """(passage ids, BM25 weights of the term in them) per segment of one term, from its
        postings ``rows`` (None: read them now); the weights are computed where the scoring
        asks for them (:class:`~index.search.topk.Weights`).

        A common term's decoded postings, all its segments together, are cached for as long
        as the index does not change (``_data_version``), as passage ids and counts (6 bytes
        a posting) until a query needs all its weights, then as ids and weights (12 bytes, like
        bm25s's precomputed matrix): a query then reads nothing for it, however many segments
        the writes have left. The longest terms are mostly added only where they can still
        matter, so most stay at 6 bytes and the same bytes hold more of them.
        """
        cached = self._cache.get(term)
        if cached is not None and cached[1] == self._data_version:
            return [(cached[0].ids, cached[0])]
        if rows is None:  # cached when the query's postings were read, and evicted since
            rows = self.store.postings(tid)
        idf = self._idf(df)
        k1, norm = self.params.k1, self._norm
        parts = [
            (np.frombuffer(ids_b, dtype="<i4"), np.frombuffer(tfs_b, dtype="<u2"))
            for _seg, ids_b, tfs_b in rows
        ]
        if df >= CACHE_MIN_DF and parts:
            if len(parts) > 1:
                parts = [tuple(np.concatenate([p[i] for p in parts]) for i in range(2))]
            weights = Weights(parts[0][0], parts[0][1], idf, norm, k1)
            self._cache.put(term, weights, self._data_version)
            return [(weights.ids, weights)]
        return [(ids, Weights(ids, tfs, idf, norm, k1)) for ids, tfs in parts]

    def _bound(self, df: int, parts: list[tuple[np.ndarray, np.ndarray | Weights]]) -> float | None:
        """A weight no passage gets from one occurrence of the term (None: some are negative).

        idf · tf · (k1+1) / (tf + norm) < idf · (k1+1). A term in more than half the passages
        weighs epsilon · the mean idf, which may lag behind (``MEAN_IDF_MAX_AGE``): its bound
        is read from the weights themselves."""
        raw = bm25.raw_idf(self._n_docs, df)
        if raw >= 0:
            return float(raw) * (self.params.k1 + 1.0)
        tops = [(float(w.max()) if len(w) else None) if isinstance(w, np.ndarray) else w.max()
                for _ids, w in parts]  # fmt: skip
        top = max((t for t in tops if t is not None), default=0.0)
        return top if top >= 0 else None

    def _read(self, terms: list[str], signals: Sequence[str]) -> QueryPostings:
        """The query's postings, all of them in one call of the store (one round trip on
        PostgreSQL), inside the caller's snapshot, with the passage arrays brought up to the
        same state first if another connection committed since the last look."""

        def read() -> QueryPostings:
            cached = self._cache.items
            skip = {t for t in terms if t in cached and cached[t][1] == self._data_version}
            return self.store.query_postings(
                terms, skip=skip, signals=signals if self._signals_ready else (),
                signal_max_df=max(self.fusion.df_cap * self._n_docs, fusion.DF_CAP_FLOOR),
            )  # fmt: skip

        data = read()
        if data.version != self._data_version:  # rare: read again at the same state
            self._refresh_to(data.version)
            data = read()
        return data

    # ------------------------------------------------------------------ scoring
    def score_terms(
        self,
        terms: Sequence[str],
        k: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        include_stubs: bool = True,
        exclude_articles: Sequence[int] = (),
        text: str | None = None,
    ) -> Scored:
        """Top ``k`` passages for already-analysed ``terms`` (each occurrence counts, as in BM25Okapi).

        With the question's ``text`` (and fusion enabled, and the index holding the fusion
        postings), the word BM25's best ``fusion.candidates`` passages are re-ranked by the fused
        word + character-bigram + word-pair score (:mod:`index.ranking.fusion`); without it, plain BM25.
        """
        if text is None or not self.fusion.enabled:
            return self._score_words(
                terms, k, since=since, until=until, include_stubs=include_stubs,
                exclude_articles=exclude_articles,
            )[0]  # fmt: skip
        # the signal terms' dfs are read with the words' postings (one statement), the
        # candidates' signal vectors after the word ranking, in the same snapshot
        bigrams, pairs = self.query_signals(text, terms)
        with self.store.snapshot():
            words, sig_terms = self._score_words(
                terms, max(k, self.fusion.candidates), since=since, until=until,
                include_stubs=include_stubs, exclude_articles=exclude_articles,
                signals=list(dict.fromkeys([*bigrams, *pairs])),
            )  # fmt: skip
            if not self._signals_ready or len(words.pids) == 0:
                n = min(k, len(words.pids))
                return Scored(words.pids[:n], words.scores[:n], words.terms)
            cand = words.pids
            found = self.store.signal_vectors(cand.tolist()) if sig_terms else []
        signals = [words.scores, *self._signal_scores(cand, bigrams, pairs, sig_terms, found)]
        fused = fusion.fuse(signals, self.fusion.weights)
        top = fusion.rank(cand, fused, k)
        return Scored(cand[top], words.scores[top], words.terms, fused[top])

    def query_signals(
        self, text: str, terms: Sequence[str] | None = None
    ) -> tuple[list[str], list[str]]:
        """(character bigram terms, word pair terms) of a question (:mod:`index.ranking.fusion`).

        Words the caller left out of the query ``terms`` (question words, casual fillers) are
        left out of the signals too: their span of the text is blanked before the bigrams are
        taken, and they are not paired. Without ``terms``, question words are left out.
        """
        tokens = self._tokens(text)
        kept = set(terms) if terms is not None else {t.term for t in tokens} - QUESTION_WORDS
        chars = list(text)
        words: list[str] = []
        end = -1
        for t in tokens:
            if t.start < end:  # a mode-A part of the word before: goes with it
                continue
            end = t.end
            if t.term in kept:
                words.append(t.term)
            else:
                chars[t.start : t.end] = " " * (t.end - t.start)
        return fusion.query_signals("".join(chars), words)

    def _signal_scores(
        self,
        cand: np.ndarray,
        bigrams: Sequence[str],
        pairs: Sequence[str],
        terms: Sequence[tuple[str, int, int]],
        found: Sequence[tuple[int, bytes, bytes]],
    ) -> list[np.ndarray]:
        """Each fusion signal's BM25 over the candidate passages only (one array per signal)."""
        return signal_scores(
            terms, found, cand, bigrams, pairs, n_docs=self._n_docs, lengths=self._sdl,
            avgdl=self._signal_avgdl, params=self.params,
        )  # fmt: skip

    def _score_words(
        self,
        terms: Sequence[str],
        k: int,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        include_stubs: bool = True,
        exclude_articles: Sequence[int] = (),
        signals: Sequence[str] = (),
    ) -> tuple[Scored, list[tuple[str, int, int]]]:
        """Plain word BM25: top ``k`` passages for ``terms``, and the (term, tid, df) of the
        fusion ``signals`` terms (read in the same call)."""
        qcount = Counter(terms)
        # One read transaction for the statistics, the dfs and the postings: refreshing before
        # it would let another process commit in between, and a df from a newer state than N
        # (or a passage id past the loaded arrays) breaks the scoring.
        with self.store.snapshot():
            data = self._read(list(qcount), signals)
            term_data = []
            # rarest first (the threshold of topk samples them); ties by term: the same order
            # on every backend
            for tid, term, df in sorted(data.terms, key=lambda r: (r[2], r[1])):
                if df <= 0:
                    continue
                parts = self._term_weights(tid, term, df, data.postings.get(tid))
                term_data.append(TermWeights(parts, qcount[term], self._bound(df, parts)))
        if not term_data or self._n_docs == 0:
            empty = Scored(np.zeros(0, dtype=np.int64), np.zeros(0), tuple(terms))
            return empty, data.signals
        scores = self._scores
        touched: list[np.ndarray] = []
        filtered = since is not None or until is not None or not include_stubs
        passages = Passages(self._live, self._ts, self._stub, self._art, self._hit)
        try:
            reach = accumulate(
                scores, term_data, k, passages, touched,
                prune=not (filtered or len(exclude_articles)),
            )  # fmt: skip
            top = top_k(
                scores, touched, k, passages, since=since, until=until,
                include_stubs=include_stubs, exclude=exclude_articles, terms=terms, reach=reach,
            )  # fmt: skip
            return top, data.signals
        finally:
            self._cache.trim()  # computing weights grew some cached terms
            if sum(len(ids) for ids in touched) > len(scores) // 8:
                scores.fill(0.0)  # one sequential pass beats scattering zeros over many ids
            else:
                for ids in touched:
                    scores[ids] = 0.0

    def article_rowid(self, pid: int) -> int:
        return int(self._art[pid])

    # ------------------------------------------------------------------ the public query API
    def search(
        self,
        query: str,
        k: int = 10,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        include_stubs: bool = True,
    ) -> SearchResult:
        """Analyse ``query`` and return its top ``k`` passages as hits.

        Raises :class:`InvalidQuery` for an empty, over-long or term-less query.
        """
        t0 = time.perf_counter()
        terms = self.analyse(query)
        scored = self.score_terms(
            terms, k, since=since, until=until, include_stubs=include_stubs, text=query
        )
        hits = self.hits(scored)
        took = (time.perf_counter() - t0) * 1000
        return SearchResult(query=query, terms=tuple(terms), hits=hits, took_ms=took)

    def analyse(self, query: str) -> list[str]:
        text = query.strip()
        if not text:
            raise InvalidQuery.because("empty", "query_empty")
        if len(text) > MAX_QUERY_CHARS:
            raise InvalidQuery.because(
                "too_long", "query_too_long", n=len(text), limit=MAX_QUERY_CHARS
            )
        terms = question_terms(self._tokens(text))
        if not terms:
            raise InvalidQuery.because("no_terms", "query_no_terms")
        return terms

    def _tokens(self, text: str) -> list[Token]:
        """The tokens of ``text``, remembered for the next call: a question is tokenised once
        for its terms (:meth:`analyse`) and again for its fusion signals (:meth:`query_signals`)
        otherwise."""
        if self._last_tokens[0] != text:
            self._last_tokens = (text, self.tokenizer.tokens(text))
        return self._last_tokens[1]

    def hits(self, scored: Scored) -> tuple[Hit, ...]:
        pids = [int(p) for p in scored.pids]
        rows = self.store.passage_rows(pids)
        out = []
        fused = [None] * len(pids) if scored.fused is None else scored.fused.tolist()
        for pid, score, f in zip(pids, scored.scores, fused, strict=True):
            row = rows.get(pid)
            if row is None:  # deleted between scoring and fetching: skip rather than fail
                continue
            heading, start, end, text, aid, title, url, pub, cat, stub = row
            out.append(
                Hit(
                    passage_id=pid,
                    article_id=aid,
                    title=title,
                    url=url,
                    published_at=parse_dt(pub),
                    category=cat,
                    heading=heading,
                    text=text,
                    start=start,
                    end=end,
                    score=float(score) if math.isfinite(score) else 0.0,
                    is_stub=bool(stub),
                    fused=f,
                )
            )
        return tuple(out)
