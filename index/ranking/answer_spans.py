"""Spans of a passage that could answer a question of a given kind (pure functions).

From the Sudachi morphemes of a passage (:class:`~index.analysis.tokenizer.Morph`) and its text this
finds candidate answers: person names (固有名詞・人名 runs, 「コリン・ファレル」 joined over ・),
places (地名, or a noun compound ending in a place noun: 熱田神宮, 東京地方裁判所), other proper
names (固有名詞, Latin-letter product names, long katakana words), numbers with the counter that
follows them (7000台, 約875g, 25万2525円, 3割8厘), dates and times (2012年3月7日, 2012/3/30,
先月13日, 23時05分), quotations and titles (「…」 『…』) and causal connectives (ので, ため, 理由).

:func:`answer_weight` says how well a sentence holds an answer of the kind an
:class:`~index.analysis.question.Intent` asks for, ignoring spans the question itself contains (the
topic is not the answer): 1.0 for an exact fit (a number with the counter asked for), less for
a looser one (a number with another counter).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from index.analysis.question import DATE, NAME, NUMBER, OTHER, PERSON, QUOTE, Intent
from index.analysis.tokenizer import Morph
from index.ranking.span_fits import (
    COMPANY_FIT,
    COMPANY_HEADS,
    DIRECTIVE_FIT,
    FIT,
    GROUP_FIT,
    UNIT_ALIASES,
)

# Nouns that end the name of a place or a venue.
PLACE_SUFFIXES = frozenset(
    {"駅", "空港", "港", "神社", "神宮", "寺", "院", "城", "会場", "ホール", "ドーム", "球場",
     "スタジアム", "アリーナ", "劇場", "公園", "園", "庭園", "館", "美術館", "博物館", "県", "府",
     "都", "道", "市", "区", "町", "村", "島", "州", "国", "郡", "山", "川", "湖", "海", "温泉",
     "裁判所", "地方裁判所", "高等裁判所", "病院", "大学", "高校", "学校", "ビル", "タワー",
     "センター", "ホテル", "店", "本店", "通り", "街", "ランド", "広場", "半島", "諸島", "湾"}
)  # fmt: skip
ORG_SUFFIXES = frozenset(
    {"社", "会社", "製作所", "工業", "電機", "電気", "百貨店", "銀行", "証券", "協会", "連盟",
     "委員会", "財団", "機構", "省", "庁", "局", "署", "グループ", "ホールディングス", "商事",
     "製薬", "食品", "出版", "新聞", "放送", "テレビ", "研究所", "事務所", "球団", "大学",
     "製"}  # シャープ製: made by a company
)  # fmt: skip
_REASON_WORDS = frozenset(
    {"理由", "原因", "ため", "為", "せい", "影響", "きっかけ", "要因", "背景"}
)
_REASON_CONJ = frozenset({"から", "ので"})
_SPEECH_ENDINGS = frozenset({"よ", "わ", "ぞ", "ぜ", "わよ", "のよ"})
_DATE_RE = re.compile(
    r"(?:(?:明治|大正|昭和|平成|令和)\s*[0-9０-９元]{1,2}\s*年)"
    r"|(?:[0-9０-９]{2,4}\s*[/／.．]\s*[0-9０-９]{1,2}(?:\s*[/／.．]\s*[0-9０-９]{1,2})?)"
    r"|(?:(?:[0-9０-９]{2,4}|[一二三四五六七八九〇十]{2,4})\s*年\s*(?:[0-9０-９]{1,2}\s*月)?"
    r"(?:\s*[0-9０-９]{1,2}\s*日)?)"
    r"|(?:(?:[0-9０-９]{1,2}|[一二三四五六七八九十]{1,3})\s*月\s*(?:[0-9０-９]{1,2}\s*日|上旬|中旬|下旬|末)?)"
    r"|(?:(?:先月|今月|来月|同月)\s*[0-9０-９]{1,2}\s*日)"
    r"|(?:(?:昨年|去年|今年|来年|同年|一昨年)\s*(?:[0-9０-９]{1,2}\s*月)?)"
    r"|(?:[0-9０-９]{1,2}\s*日\s*[（(][月火水木金土日][）)])"
    r"|(?:[0-9０-９]{1,2}\s*日)"
)
_TIME_RE = re.compile(r"[0-9０-９]{1,2}\s*(?:時|:|：)\s*[0-9０-９]{0,2}\s*分?|午前|午後|正午")
_QUOTE_RE = re.compile(r"「([^「」\n]{2,120})」|“([^“”\n]{2,120})”|\"([^\"\n]{2,120})\"")
_TITLE_RE = re.compile(r"『([^『』\n]{1,80})』|《([^《》\n]{1,80})》")
# 【】 (隅付き括弧) marks a label or a heading (【知っ得！虎の巻】, 【速報】) more often than a work.
_LABEL_RE = re.compile(r"【([^【】\n]{1,40})】")
_LATIN_RE = re.compile(
    r"[A-Za-zＡ-Ｚａ-ｚ][A-Za-zＡ-Ｚａ-ｚ0-9０-９.'’&+\-]*(?:\s+[A-Za-z0-9][A-Za-z0-9.'’&+\-]*)*"
)
_SCORE_RE = re.compile(r"[0-9０-９]{1,3}\s*(?:[-－−–対]|-)\s*[0-9０-９]{1,3}")


@dataclass(frozen=True, slots=True)
class Span:
    start: int
    end: int
    kind: str  # person, place, org, propn, number, date, time, quote, title, label, latin, …
    counter: str = ""  # for numbers: the counter after the number (台, 万円, 年間)


def _is_katakana(text: str) -> bool:
    return bool(text) and all("\u30a0" <= ch <= "\u30ff" or ch in "ー・" for ch in text)


def find_spans(text: str, morphs: Sequence[Morph]) -> list[Span]:
    """Every candidate answer span of ``text`` (morpheme offsets index into ``text``)."""
    spans: list[Span] = []
    spans.extend(_noun_runs(text, morphs))
    spans.extend(_numbers(morphs))
    for m in _DATE_RE.finditer(text):
        spans.append(Span(m.start(), m.end(), "date"))
    for m in _TIME_RE.finditer(text):
        spans.append(Span(m.start(), m.end(), "time"))
    for m in _SCORE_RE.finditer(text):
        spans.append(Span(m.start(), m.end(), "score", "対"))
    for m in _QUOTE_RE.finditer(text):
        spans.append(Span(m.start(), m.end(), "quote"))
    for m in _TITLE_RE.finditer(text):
        spans.append(Span(m.start(), m.end(), "title"))
    for m in _LABEL_RE.finditer(text):
        spans.append(Span(m.start(), m.end(), "label"))
    for m in _LATIN_RE.finditer(text):
        if m.end() - m.start() >= 3 and any(ch.isupper() for ch in m.group()):
            spans.append(Span(m.start(), m.end(), "latin"))
    for i, m in enumerate(morphs):
        # Direct speech without 「」: an imperative (しなさい, 転職せよ) or a sentence-final
        # particle of speech (〜肝心よ, 〜だわ) marks what someone says or advises.
        if m.form.startswith("命令形"):
            spans.append(Span(m.start, m.end, "directive"))
        elif m.pos[1] == "終助詞" and m.norm in _SPEECH_ENDINGS:
            spans.append(Span(m.start, m.end, "speech"))
        if m.norm in _REASON_WORDS and m.pos[0] == "名詞":
            spans.append(Span(m.start, m.end, "reason"))
        elif m.norm in _REASON_CONJ and m.pos[1] == "接続助詞":
            spans.append(Span(max(0, morphs[i - 1].start if i else m.start), m.end, "reason"))
    return spans


def _noun_runs(text: str, morphs: Sequence[Morph]) -> list[Span]:
    """Noun compounds (名詞/接頭辞/接尾辞 in a row, ・ between names) classified by their parts."""
    out: list[Span] = []
    run: list[Morph] = []

    def flush() -> None:
        if not run:
            return
        while run and run[-1].surface in ("・", "＝", "="):
            run.pop()
        if not run:
            return
        start, end = run[0].start, run[-1].end
        pos2 = {m.pos[2] for m in run}
        proper = any(m.pos[1] == "固有名詞" for m in run)
        last = run[-1].norm
        surface = text[start:end]
        if "人名" in pos2:
            out.append(Span(start, end, "person"))
        if (
            "地名" in pos2
            or (last in PLACE_SUFFIXES and len(run) > 1)
            or (
                len(run) == 1
                and any(
                    surface.endswith(s) and len(surface) > len(s)
                    for s in ("神宮", "神社", "寺", "駅", "県", "市", "町", "島")
                )
            )
        ):
            out.append(Span(start, end, "place"))
        if last in ORG_SUFFIXES and len(run) > 1:
            out.append(Span(start, end, "org"))
        if proper and "人名" not in pos2:
            out.append(Span(start, end, "propn"))
        elif len(surface) >= 3 and _is_katakana(surface):
            out.append(Span(start, end, "katakana"))
        run.clear()

    prev_end = -1
    for m in morphs:
        joins = m.pos[0] in ("名詞", "接頭辞", "接尾辞") and m.pos[1] != "数詞"
        dot = m.surface in ("・", "＝", "=") and run and m.start == prev_end
        if (joins or dot) and (not run or m.start == prev_end):
            run.append(m)
        else:
            flush()
            if joins:
                run.append(m)
        prev_end = m.end
    flush()
    return out


# What may stand between a focus noun and its value: 「本名は陳港生」「監督：山田太郎」.
_VALUE_MARKS = frozenset({"は", "が", ":", "：", "=", "＝", "・"})


def focus_values(text: str, morphs: Sequence[Morph], focus: frozenset[str]) -> list[Span]:
    """The noun phrase a sentence gives as the value of the question's focus: 「本名は陳港生」
    answers 「本名って誰」 whether or not Sudachi knows 陳港生 as a name (X は Y: the topic and
    what is said of it). Spans of kind ``value``."""
    out: list[Span] = []
    if not focus:
        return out
    n = len(morphs)
    for i, m in enumerate(morphs[:-2]):
        if m.norm not in focus or morphs[i + 1].surface not in _VALUE_MARKS:
            continue
        j = i + 2
        while (
            j < n
            and morphs[j].pos[0] in ("名詞", "接頭辞", "接尾辞")
            and (j == i + 2 or morphs[j].start == morphs[j - 1].end)
        ):
            j += 1
        if j > i + 2:
            out.append(Span(morphs[i + 2].start, morphs[j - 1].end, "value"))
    return out


# Units a smaller number and unit may follow: 3割8厘, 23時05分, 1万5000.
_COMPOUND_UNITS = frozenset({"割", "分", "時", "時間", "万", "億", "兆", "千", "度"})


def _numbers(morphs: Sequence[Morph]) -> list[Span]:
    """Numbers (数詞 runs, 万/億 inside) with the counters that follow them."""
    out: list[Span] = []
    i = 0
    n = len(morphs)
    while i < n:
        m = morphs[i]
        if not m.is_number or m.surface in ("何", "幾", "数"):
            i += 1
            continue
        start = m.start
        if i > 0 and morphs[i - 1].pos[0] == "接頭辞" and morphs[i - 1].end == start:
            start = morphs[i - 1].start  # 約875g
        j = i
        while (
            j + 1 < n
            and morphs[j + 1].start == morphs[j].end
            and (morphs[j + 1].is_number or morphs[j + 1].surface in (".", "．", ",", "，"))
        ):
            j += 1
        counter: list[str] = []
        k = j + 1
        while (
            k < n
            and morphs[k].start == morphs[k - 1].end
            and (
                morphs[k].is_counter
                or morphs[k].pos[0] == "接尾辞"
                or (counter and counter[-1] in _COMPOUND_UNITS and morphs[k].is_number)
            )
        ):
            counter.append(morphs[k].surface)
            k += 1
        if not counter and k < n and morphs[k].start == morphs[k - 1].end:
            nxt = morphs[k]
            if nxt.pos[0] == "名詞" and nxt.pos[1] == "普通名詞":  # 25種類, 20機種: a noun counts
                counter.append(nxt.surface)
                k += 1
        out.append(Span(start, morphs[k - 1].end, "number", "".join(counter)))
        i = k
    return out


def _norm(text: str) -> str:
    return unicodedata.normalize("NFKC", text).lower().replace(" ", "")


def _units(counters: frozenset[str]) -> frozenset[str]:
    out = {_norm(c) for c in counters}
    for c in counters:
        out |= {_norm(a) for a in UNIT_ALIASES.get(_norm(c), ())}
    return frozenset(x for x in out if x)


def _number_fit(span: Span, counters: frozenset[str]) -> float:
    if span.kind == "score":
        return 1.0 if "対" in counters else 0.3
    if span.kind != "number":
        return 0.0
    c = _norm(span.counter)
    if not counters:
        return 1.0 if c else 0.5
    if any(c.startswith(u) for u in _units(counters)):
        return 1.0
    return 0.3 if c else 0.2


def span_fit(span: Span, intent: Intent) -> float:
    kind = intent.kind
    if kind is None or kind == OTHER:
        return 0.0
    if kind == NUMBER:
        return _number_fit(span, intent.counters)
    if kind == DATE and intent.counters & {"時", "分"}:
        return {"time": 1.0, "date": 0.4}.get(span.kind, 0.0)
    if kind == QUOTE and intent.directive:
        return DIRECTIVE_FIT.get(span.kind, 0.0)
    if kind == NAME and intent.head in COMPANY_HEADS:
        return COMPANY_FIT.get(span.kind, 0.0)
    if kind == PERSON and intent.head is not None:  # 誰の曲: a group's name answers too
        return FIT[PERSON].get(span.kind, GROUP_FIT.get(span.kind, 0.0))
    return FIT.get(kind, {}).get(span.kind, 0.0)


@dataclass(frozen=True, slots=True)
class Fit:
    weight: float
    span: Span | None
    # The best weight of a span standing in the question's slot: next to a word that surrounds
    # the interrogative in the question (「横浜市出身」 for 「どこ出身」) or followed by the
    # particle that follows it (「昨年4月から」 for 「いつから」).
    slotted: float = 0.0


# Particles that mark the same role: 「どこに引っ越した」 is answered by 「小豆島へ移住」.
# A price or a period from a point is written with a wave dash as often as with から
# (「60,000円〜」「1,980円より」).
_PARTICLE_ALIKE = {
    "に": ("に", "へ"),
    "へ": ("へ", "に"),
    "から": ("から", "より", "〜", "～", "~"),
}

# The other end of a range: 「いつまで」 is not answered by 「6月15日から」, nor 「いつから」 by
# 「7月31日まで」; such a span keeps ENDPOINT_FACTOR of its weight and stands in no slot.
_OTHER_END = {
    "まで": ("から", "より", "〜", "～", "~"),
    "から": ("まで",),
}
ENDPOINT_FACTOR = 0.5
# What may stand between a date and its particle: the day of the week (「7月31日(火)まで」).
_WEEKDAY = re.compile(r"\s*[（(][月火水木金土日](?:曜日?)?(?:[・･]?祝日?)?[）)]")

SLOT_GAP = (
    4  # characters between an answer and a word of the question's slot (「X監督」「監督のX」)
)
# 「7日、…」 opening a sentence, or 「ソフトバンクは13日、…」 after its subject, dates the
# report (the news dateline), seldom the answer.
DATELINE_FACTOR = 0.5


def answer_weight(
    text: str,
    spans: Sequence[Span],
    lo: int,
    hi: int,
    intent: Intent,
    question: str,
    matched: Sequence[tuple[int, int]] = (),
    slot: Sequence[tuple[int, int]] = (),
) -> Fit:
    """The best-fitting answer span of ``intent`` inside ``text[lo:hi]`` not already in the
    question, with its weight (0 when none), and the best weight of such a span in the
    question's slot (``slot``: spans in ``text`` of the words around the interrogative, within
    SLOT_GAP characters of the span; or ``intent.slot_particle`` right after it).

    A span is already in the question when its text occurs in the question or when words of
    the question (``matched``: their spans in ``text``) cover half of it or more: the topic is
    not the answer (「SUPERうるぐす」 does not answer a question about うるぐす).
    """
    if intent.kind is None or intent.kind == OTHER:
        return Fit(0.0, None)
    q = _norm(question)
    best = Fit(0.0, None)
    slotted = 0.0
    particle = intent.slot_particle
    for sp in spans:
        if sp.start < lo or sp.end > hi:
            continue
        w = span_fit(sp, intent)
        if (
            sp.kind in ("date", "number")
            and (sp.start == lo or (sp.kind == "date" and text[sp.start - 1] == "は"))
            and text[sp.end : sp.end + 1] in "、，,"
        ):
            w *= DATELINE_FACTOR
        after = sp.end
        if particle and sp.kind == "date" and (day := _WEEKDAY.match(text, after)):
            after = day.end()
        other_end = bool(particle) and text.startswith(_OTHER_END.get(particle, ()), after)
        if other_end:
            w *= ENDPOINT_FACTOR
        if w <= best.weight and w <= slotted:
            continue
        if sp.kind not in ("reason", "speech", "directive") and _asked(
            text, sp, q, matched
        ):  # markers never are
            continue
        if w > best.weight:
            best = Fit(w, sp)
        if (
            w > slotted
            and not other_end
            and (
                (particle and text.startswith(_PARTICLE_ALIKE.get(particle, (particle,)), after))
                or any(a - SLOT_GAP <= sp.end and sp.start <= b + SLOT_GAP for a, b in slot)
            )
        ):
            slotted = w
    return Fit(best.weight, best.span, slotted)


def _asked(text: str, sp: Span, q: str, matched: Sequence[tuple[int, int]]) -> bool:
    body = _norm(text[sp.start : sp.end]).strip('「」『』“”"')
    if not body or body in q:
        return True
    end = sp.end
    counter = _norm(sp.counter)
    if sp.kind == "number" and counter:
        # The number the question already writes (a whole number: 5 is not in 530), and only
        # the number: the counter is what 「何台」「何機種」 ask for, not a topic (8台, 20機種).
        number = body.removesuffix(counter)
        if number and re.search(rf"(?<![0-9]){re.escape(number)}(?![0-9])", q):
            return True
        end = max(sp.start + 1, sp.end - len(sp.counter))
    covered = sum(max(0, min(b, end) - max(a, sp.start)) for a, b in merge_spans(matched))
    if sp.kind == "date":  # 「6月17日」 narrows 「6月に…」 down to the day: an answer
        return covered >= end - sp.start
    return covered * 2 >= end - sp.start


def merge_spans(spans: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """[start, end) spans sorted, overlapping or touching ones merged."""
    out: list[list[int]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return tuple((a, b) for a, b in out)
