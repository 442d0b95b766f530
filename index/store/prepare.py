"""Preparing articles for the index: split into passages and tokenise (pure, so it runs in
worker processes), then lay the result out in columns (:class:`PreparedBatch`) that the single
writing process can apply with set-wise work.
"""

from __future__ import annotations

import gc
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np

from index.analysis.passages import split_passages
from index.analysis.tokenizer import JapaneseTokenizer
from index.errors import ArticleParseError
from index.messages import Msg
from index.models import Article, ArticleLink, Passage, Section, normalize_title
from index.ranking.fusion import signal_lengths
from index.sanitize import clean_line, clean_text, lone_surrogate
from index.store.counting import count_into, fold_text, intern, signals_into


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection inside (batch work makes 10^5-10^6 tuples and counters, none
    of them in cycles; collecting while they pile up cost more than the work itself)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def stub_id(title: str) -> str:
    return "stub-" + hashlib.sha1(normalize_title(title).encode()).hexdigest()[:16]


def passage_terms(
    tokenizer: JapaneseTokenizer, title_terms: Counter[str], heading: str | None, text: str
) -> Counter[str]:
    """The indexed terms of one passage: its article title, its heading and its text."""
    counts = Counter(title_terms)
    if heading:
        counts.update(tokenizer.terms(heading))
    counts.update(tokenizer.terms(text))
    return counts


# What a title contributes to each of its article's passages: (word term counts, fusion signal
# term counts, (word, bigram, pair) lengths), analysed once per article.
TitleAnalysis = tuple[dict[str, int], dict[str, int], tuple[int, int, int]]


def title_analysis(tokenizer: JapaneseTokenizer, title: str) -> TitleAnalysis:
    """(word terms, fusion signal terms, lengths) of an article title, counted once per article."""
    counts: dict[str, int] = {}
    signals: dict[str, int] = {}
    dl, bigrams, pairs = _count_text(tokenizer, title, counts, signals)
    return counts, signals, (dl, bigrams, pairs)


def _count_text(
    tokenizer: JapaneseTokenizer, text: str, counts: dict[str, int], signals: dict[str, int]
) -> tuple[int, int, int]:
    """Count one text's word terms into ``counts`` and its signal terms into ``signals`` (one
    Sudachi pass); return how many of each kind (word, bigram, pair) it added."""
    words: list[str] = []
    terms = tokenizer.terms(text, words)
    count_into(counts, terms)
    bigrams, pairs = signals_into(signals, fold_text(text), words)
    return len(terms), bigrams, pairs


def analyse_passage(
    tokenizer: JapaneseTokenizer, title: TitleAnalysis, heading: str | None, text: str
) -> tuple[dict[str, int], dict[str, int], tuple[int, int, int]]:
    """(word terms, fusion signal terms of :mod:`index.ranking.fusion`, their lengths) of one
    passage: its article title, heading and text, from one Sudachi pass each."""
    counts = dict(title[0])
    signals = dict(title[1])
    dl, bigrams, pairs = title[2]
    for part in (heading, text):
        if part:
            n, b, p = _count_text(tokenizer, part, counts, signals)
            dl, bigrams, pairs = dl + n, bigrams + b, pairs + p
    return counts, signals, (dl, bigrams, pairs)


def passage_analysis(
    tokenizer: JapaneseTokenizer, title: TitleAnalysis, heading: str | None, text: str
) -> tuple[dict[str, int], dict[str, int]]:
    """(word terms, fusion signal terms) of one passage (:func:`analyse_passage` without the
    lengths). The word terms equal :func:`passage_terms`."""
    counts, signals, _ = analyse_passage(tokenizer, title, heading, text)
    return counts, signals


def indexed_terms(
    tokenizer: JapaneseTokenizer, title: str, heading: str | None, text: str
) -> Counter[str]:
    """Every term a passage is indexed under (words and signal terms) with its count."""
    counts, signals = passage_analysis(tokenizer, title_analysis(tokenizer, title), heading, text)
    return Counter({**counts, **signals})


@dataclass
class PreparedArticle:
    """An article with its passages tokenised: everything a write needs, nothing it must compute."""

    article: Article
    content_hash: str
    passages: list[Passage]
    counts: list[dict[str, int]]
    stubs: list[PreparedArticle] = field(default_factory=list)
    signals: list[dict[str, int]] = field(
        default_factory=list
    )  # per passage, index.ranking.fusion terms
    # per passage (word, bigram, pair) lengths; computed from the counts when left empty
    lengths: list[tuple[int, int, int]] = field(default_factory=list)


def clean_article(article: Article) -> Article:
    """``article`` with control, bidi and zero-width characters stripped from every text field
    (:mod:`index.sanitize`), whichever parser made it.

    :raises ArticleParseError: for text that is not valid Unicode (a lone surrogate such as
        ``"\\ud800"`` from a JSON escape), which could be neither hashed nor stored.
    """
    texts = [article.id, article.url, article.title, article.category or "", article.source or ""]
    texts += [p for s in article.sections for p in (s.heading or "", *s.paragraphs)]
    texts += list(article.references)
    texts += [x for k in (*article.related, *article.latest) for x in (k.title, k.summary, k.url)]
    for text in texts:
        bad = lone_surrogate(text)
        if bad is not None:
            char = bad.encode("unicode_escape").decode()
            raise ArticleParseError.keyed("reject_lone_surrogate", char=char)
    if all(clean_text(t) is t for t in texts):
        return article  # the usual case: nothing to strip
    sections = []
    for s in article.sections:
        paragraphs = tuple(p for p in (clean_text(p).strip() for p in s.paragraphs) if p)
        sections.append(Section(clean_line(s.heading) if s.heading else s.heading, paragraphs))
    title = clean_line(article.title)
    if not title:
        raise ArticleParseError.keyed("reject_title_controls")
    return replace(
        article,
        id=clean_text(article.id).strip(),
        url=clean_text(article.url).strip(),
        title=title,
        category=clean_line(article.category) if article.category else article.category,
        source=clean_line(article.source) if article.source else article.source,
        sections=tuple(sections),
        references=tuple(clean_line(r) for r in article.references),
        related=tuple(_clean_link(x) for x in article.related),
        latest=tuple(_clean_link(x) for x in article.latest),
    )


def _clean_link(link: ArticleLink) -> ArticleLink:
    return ArticleLink(clean_line(link.title), clean_line(link.summary), clean_line(link.url))


def prepare(article: Article, tokenizer: JapaneseTokenizer) -> PreparedArticle:
    """Clean, split and tokenise an article (pure; safe to run in a worker process).

    :raises ArticleParseError: for text that cannot be stored (see :func:`clean_article`).
    """
    article = clean_article(article)
    title = title_analysis(tokenizer, article.title)
    passages = split_passages(article)
    if not passages:  # a title-only article still gets one (empty) passage so it can be found
        passages = [Passage(0, None, 0, 0, "")]
    analysed = [analyse_passage(tokenizer, title, p.heading, p.text) for p in passages]
    counts = [a[0] for a in analysed]
    signals = [a[1] for a in analysed]
    lengths = [a[2] for a in analysed]
    stubs = []
    seen = {normalize_title(article.title)}
    for link in (*article.related, *article.latest):
        key = normalize_title(link.title)
        if not key or key in seen:
            continue
        seen.add(key)
        stubs.append(prepare(_stub_article(link, article), tokenizer))
    return PreparedArticle(
        article, article.content_hash(), passages, counts, stubs, signals, lengths
    )


def _stub_article(link: ArticleLink, parent: Article) -> Article:
    return Article(
        id=stub_id(link.title),
        title=link.title,
        sections=(Section(None, (link.summary,) if link.summary else ()),),
        url=link.url,
        published_at=None,
        category=parent.category,
        source=parent.source,
        is_stub=True,
    )


def _url_norm(url: str) -> str | None:
    if not url:
        return None
    from index.urls import normalize_url  # parsers' module; imported lazily

    try:
        return normalize_url(url)
    except ValueError:
        return url


# Columns of PreparedBatch.rows (the articles table without rowid, added_at and updated_at).
ID, URL, URL_NORM, TITLE, TITLE_NORM, PUB, PUB_TS, CATEGORY, SOURCE, IS_STUB, BODY, META, HASH = (
    range(13)
)


@dataclass
class PreparedBatch:
    """Prepared articles in columnar form: what a worker returns and :meth:`BatchWriter.write`
    consumes. Cheap to pickle, and nothing per term is left for the writing process to do.

    ``rows`` are in write order, each article followed by its stubs. The passages of row ``i``
    are ``passages[bounds[i]:bounds[i + 1]]`` as ``(ordinal, heading, start, end, dl, dl_bigram,
    dl_pair)``: the word length and each fusion signal's length. The postings are triples
    ``(doc[j], term[j], tf[j])``: a passage index into ``passages``, a term index into ``vocab``
    (words and signal terms alike) and the capped term count.
    """

    rows: list[tuple]
    bounds: list[int]
    passages: list[tuple[int, str | None, int, int, int, int, int]]
    vocab: list[str]
    doc: np.ndarray
    term: np.ndarray
    tf: np.ndarray
    failed: list[tuple[str, Msg]] = field(default_factory=list)  # (article id, reason) left out

    @classmethod
    def build(cls, prepared: Iterable[PreparedArticle]) -> PreparedBatch:
        rows: list[tuple] = []
        bounds = [0]
        passages: list[tuple[int, str | None, int, int, int, int, int]] = []
        index: dict[str, int] = {}
        sizes: list[int] = []  # postings per passage
        term: list[bytes] = []
        tf: list[bytes] = []
        for top in prepared:
            for item in (top, *top.stubs):
                rows.append(_row(item))
                signals = item.signals or [{}] * len(item.counts)
                lengths = item.lengths or [
                    (sum(c.values()), *signal_lengths(s))
                    for c, s in zip(item.counts, signals, strict=True)
                ]
                for passage, counts, sig, n in zip(
                    item.passages, item.counts, signals, lengths, strict=True
                ):
                    passages.append(
                        (passage.ordinal, passage.heading, passage.start, passage.end, *n)
                    )
                    sizes.append(len(counts) + len(sig))
                    for c in (counts, sig):
                        ids, tfs = intern(index, c)
                        term.append(ids)
                        tf.append(tfs)
                bounds.append(len(passages))
        return cls(
            rows,
            bounds,
            passages,
            list(index),
            np.repeat(np.arange(len(sizes), dtype=np.int32), sizes),
            np.frombuffer(b"".join(term), dtype=np.int32).copy(),
            np.frombuffer(b"".join(tf), dtype=np.uint16).copy(),
        )

    def __len__(self) -> int:
        return len(self.rows)


def _row(prepared: PreparedArticle) -> tuple:
    art = prepared.article
    meta = {
        "headings": [s.heading for s in art.sections if s.heading],
        "references": list(art.references),
        "related": [[x.title, x.summary, x.url] for x in art.related],
        "latest": [[x.title, x.summary, x.url] for x in art.latest],
    }
    return (
        art.id,
        art.url,
        _url_norm(art.url),
        art.title,
        normalize_title(art.title),
        art.published_at.isoformat() if art.published_at else None,
        art.published_at.timestamp() if art.published_at else None,
        art.category,
        art.source,
        int(art.is_stub),
        art.body,
        json.dumps(meta, ensure_ascii=False),
        prepared.content_hash,
    )


def prepare_guarded(
    article: Article, tokenizer: JapaneseTokenizer
) -> tuple[PreparedArticle | None, Msg | None]:
    """:func:`prepare`, with any failure turned into a reason: (prepared, None) or (None, why).

    Whatever one record holds, it costs only itself, never the batch it came with.
    """
    try:
        return prepare(article, tokenizer), None
    except ArticleParseError as e:
        return None, e.msg or Msg("reject_not_indexed", {"error": str(e)})
    except Exception as e:  # a bug, or a tokenizer failure on odd input
        return None, Msg("reject_not_indexed", {"error": f"{type(e).__name__}: {e}"})


def prepare_batch(articles: Iterable[Article], tokenizer: JapaneseTokenizer) -> PreparedBatch:
    """:func:`prepare` a run of articles into one :class:`PreparedBatch` (worker side); an
    article that fails is left out and named in ``failed`` with the reason."""
    prepared: list[PreparedArticle] = []
    failed: list[tuple[str, Msg]] = []
    with paused_gc():
        for article in articles:
            done, reason = prepare_guarded(article, tokenizer)
            if done is None:
                failed.append((article.id, reason or Msg("reject_not_indexed", {"error": "?"})))
            else:
                prepared.append(done)
        batch = PreparedBatch.build(prepared)
    batch.failed = failed
    return batch
