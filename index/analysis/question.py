"""What a question asks for: its answer type, read from Sudachi morphemes (pure functions).

Japanese marks what is asked with an interrogative (疑問詞) and, for amounts, a counter
(助数詞): 「何台」 asks for a number of 台, 「いくら」 for an amount of money, 「いつ」 for a date,
「誰」 for a person, 「どこ」 for a place, 「何て曲」 for a title, 「何て言った」 for a quotation,
「なんで」 for a reason. :func:`read_intent` maps the interrogatives of a question (and the noun
they modify: 「どこの神社」, 「何て雑誌」) to an :class:`Intent`; :mod:`index.ranking.answer_spans` finds
spans of that type in the sentences of candidate passages.

Everything here works on :class:`~index.analysis.tokenizer.Morph` tuples: no Sudachi call, no I/O, so the
rules are testable on their own and cost nothing at query time beyond one tokenisation.

Colloquial forms are handled by part of speech where Sudachi already marks them (って, っけ, の,
てる are particles and auxiliaries, never search terms); :data:`FILLERS` lists the discourse
words that are nouns or adverbs to Sudachi but say nothing about the topic (結局, やつ, ぶっちゃけ).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from index.analysis.measures import measure_units
from index.analysis.question_words import (
    ADVICE_NOUNS,
    COUNTER_PERIOD,
    DATE_COUNTERS,
    DATE_WORDS,
    DEGREE_HEADS,
    DEGREE_PARTICLES,
    FILLERS,
    HOW_MANY,
    HOW_MUCH,
    MONEY,
    NAME_NOUNS,
    NAMED_CLASSES,
    PERCENT,
    PERSON_NOUNS,
    PLACE_WORDS,
    QUOTE_NOUNS,
    REASON_NOUNS,
    SAY,
    WHAT,
    WHAT_ADVERBS,
    WHEN,
    WHERE,
    WHICH,
    WHO,
    WHY,
    is_org_class,
)
from index.analysis.tokenizer import Morph

# Answer kinds. "number" carries the counters that may follow the number (empty: any).
PERSON = "person"
NUMBER = "number"
DATE = "date"
PLACE = "place"
NAME = "name"
QUOTE = "quote"
REASON = "reason"
OTHER = "other"


# Interrogatives that never join a compound name (「ポケモンGOってどこの会社」).
ASKING_WORDS = WHAT | WHO | WHERE


@dataclass(frozen=True)
class Intent:
    """What a question asks for.

    :param kind: one of the kinds above, or None when the question names no answer type.
    :param counters: for numbers, the counters or units an answer should carry (何台 → 台,
        いくら → 円 …); empty means any number.
    :param head: the noun an interrogative modifies (「どこの神社」 → 神社, 「何て雑誌」 → 雑誌).
    :param asked: surface spans of the question that are the question words themselves.
    """

    kind: str | None = None
    counters: frozenset[str] = frozenset()
    head: str | None = None
    asked: tuple[tuple[int, int], ...] = field(default=(), compare=False)
    # The question's focus: the noun the interrogative asks about (「社長って誰」 → 社長,
    # 「予約何台」 → 予約, 「どこの神社」 → 神社). The answer is usually stated next to it.
    focus: frozenset[str] = frozenset()
    # The words around the interrogative (「どこ出身」 → 出身, 「いつスタートした」 → スタート,
    # 「監督誰」 → 監督) and the particle right after it (「いつから」「いくらから」 → から): the
    # answer of a sentence stands in that slot, next to the same words.
    slot_words: frozenset[str] = frozenset()
    slot_particle: str = ""
    # A quotation asked as advice or an order (「まず何しろって言われた」「相談の答えは」): an
    # imperative (しなさい, 転職せよ) answers it better than any remark ending in よ or わ.
    directive: bool = False

    @property
    def typed(self) -> bool:
        """Whether the question asks for a kind of answer that spans can hold."""
        return self.kind is not None and self.kind != OTHER


def _next_noun(morphs: Sequence[Morph], i: int) -> str | None:
    """The first noun after position ``i``, skipping particles (の, て, って, という)."""
    for m in morphs[i + 1 : i + 5]:
        if m.pos[0] in ("助詞", "補助記号") or m.norm in ("言う", "いう"):
            continue
        if m.pos[0] == "名詞":
            return m.norm
        return None
    return None


def _counter_after(morphs: Sequence[Morph], i: int) -> tuple[str, bool]:
    """The counter written after 何 at ``i`` (何台 → 台) and whether it counts a period."""
    parts: list[str] = []
    period = False
    for k, m in enumerate(morphs[i + 1 : i + 4]):
        if m.start != morphs[i + k].end:
            break
        if m.is_counter or (not parts and m.pos[0] in ("接尾辞", "名詞") and m.pos[1] != "数詞"):
            parts.append(m.surface)
        elif m.pos[0] == "接尾辞" or m.norm in COUNTER_PERIOD:
            period = True
            break
        else:
            break
    counter = "".join(parts)
    if any(counter.endswith(p) for p in ("間", "ぶり")):
        period = True
    return counter, period


def read_intent(morphs: Sequence[Morph]) -> Intent:
    """The answer type a question asks for, from its morphemes (see the module docstring).

    The interrogative nearest the end of the question decides when there are several
    (「いつも持ってる…どこの神社」: いつも is one word and not いつ; どこ decides).
    """
    found: list[Intent] = []
    # Nouns, and adjectives that say a degree (どのくらい長い); one that modifies a noun
    # (「長い名前のセンター」) describes it and names no dimension asked.
    nouns = {
        m.norm
        for i, m in enumerate(morphs)
        if m.pos[0] == "名詞"
        or (m.pos[0] == "形容詞" and (i + 1 == len(morphs) or morphs[i + 1].pos[0] != "名詞"))
    }
    for i, m in enumerate(morphs):
        norm, surface = m.norm, m.surface
        span = ((m.start, m.end),)
        nxt = morphs[i + 1] if i + 1 < len(morphs) else None
        if norm in WHO:
            # 誰の曲, 誰の作品: the artist or author, at times a group (CHAGE&ASKA, AKB48)
            work = _next_noun(morphs, i) if nxt is not None and nxt.surface == "の" else None
            found.append(Intent(PERSON, head=work if work in NAMED_CLASSES else None, asked=span))
        elif norm in WHY or (
            # なんで is "why" in speech; 何で before a noun and a verb of means (何で払う) is
            # "by what", rare in questions about the news.
            surface in ("なん", "何")
            and nxt is not None
            and nxt.surface == "で"
            and (surface == "なん" or i + 2 >= len(morphs) or morphs[i + 2].pos[0] != "動詞")
        ):
            found.append(Intent(REASON, asked=span))
        elif norm in WHEN and surface not in ("何時", "何時頃"):
            found.append(Intent(DATE, asked=span))
        elif surface in ("何時", "なんじ", "何時頃"):
            found.append(Intent(DATE, frozenset({"時", "分"}), asked=span))
        elif norm in HOW_MUCH:
            units = measure_units(nouns) or MONEY
            found.append(Intent(NUMBER, units, asked=span))
        elif norm in HOW_MANY:
            # いくつ counts things: 〜つ, 〜個, or the counted noun itself (お店いくつ → 23店舗).
            found.append(
                Intent(NUMBER, measure_units(nouns) or _counted_noun(morphs, i), asked=span)
            )
        elif (
            # by surface too: after a noun Sudachi may read どの as the suffix 殿 (ひざ上どのくらい)
            (norm in DEGREE_HEADS or surface in DEGREE_HEADS)
            and nxt is not None
            and nxt.norm in DEGREE_PARTICLES
        ):
            found.append(Intent(NUMBER, measure_units(nouns) or _counts_of(nouns), asked=span))
        elif norm in WHERE:
            head = _next_noun(morphs, i)
            org = next((n for n in (head, _noun_before(morphs, i)) if is_org_class(n)), None)
            if org is not None:  # どこの週刊誌, 会社どこ: a name
                found.append(Intent(NAME, head=org, asked=span))
            else:
                found.append(Intent(PLACE, head=head, asked=span))
        elif (m.pos[1] == "数詞" and surface in ("何", "なん", "幾")) or (
            # 何 written onto a noun counts it (何回線, 何店舗), unlike 何の回線
            surface == "何"
            and nxt is not None
            and nxt.start == m.end
            and nxt.pos[0] == "名詞"
            and nxt.pos[1] == "普通名詞"
        ):
            counter, period = _counter_after(morphs, i)
            found.append(_counted(counter, period, span))
        elif surface.startswith("何") and len(surface) > 1 and m.pos[0] == "名詞":
            counter = surface[1:]  # 何個, 何回 kept whole by the dictionary
            found.append(_counted(counter, counter.endswith(("間", "ぶり")), span))
        elif norm in WHAT or norm in WHICH:
            found.append(_what(morphs, i, nouns, span))
        elif norm in ("どう", "如何") and any(x.norm in SAY for x in morphs[i + 1 : i + 6]):
            # 「どうしろと言われた」「どう答えた」: what was said, a quotation
            found.append(Intent(QUOTE, asked=span))
        elif norm in WHAT_ADVERBS and nxt is not None and nxt.norm in ("って", "と"):
            # 「何しろって言われた」: the adverb 何しろ (anyway) read as 何(を)しろ, an order
            # reported with a verb of saying.
            found.append(_what(morphs, i, nouns, span))
    if not found and (why := _spoken_why(morphs)) is not None:
        found.append(Intent(REASON, asked=why))
    if not found:
        spoken = _spoken_what(morphs)
        if spoken is not None:
            found.append(
                _what(morphs, spoken, nouns, ((morphs[spoken].start, morphs[spoken].end),))
            )
    if not found:
        for m in morphs:  # no interrogative: a noun may still say it (理由は？ 日程は？)
            if m.norm in REASON_NOUNS:
                return Intent(REASON)
            if m.norm in DATE_WORDS:
                return Intent(DATE)
            if m.norm in PLACE_WORDS:
                return Intent(PLACE)
        return Intent()
    typed = [f for f in found if f.kind not in (None, OTHER)]
    best = typed[-1] if typed else found[-1]
    asked = tuple(s for f in found for s in f.asked)
    words, particle = _slot(morphs, best)
    directive = best.kind == QUOTE and _directive(morphs, nouns)
    return Intent(
        best.kind, best.counters, best.head, asked, _focus(morphs, best), words, particle, directive
    )


def _directive(morphs: Sequence[Morph], nouns: set[str]) -> bool:
    """Whether a quotation is asked as advice or an order: the question reports an order
    (何しろって, どうしなさいと: an imperative, or 何しろ that stands for 何(を)しろ), asks what
    one should do (すべき, すればいい) or names advice or a consultation (アドバイス, 説教, 相談)."""
    if nouns & ADVICE_NOUNS:
        return True
    for i, m in enumerate(morphs):
        if m.form.startswith("命令形") or m.norm in WHAT_ADVERBS or m.norm == "べし":
            return True
        nxt = morphs[i + 1] if i + 1 < len(morphs) else None
        if m.surface == "ば" and nxt is not None and nxt.norm in ("良い", "いい"):
            return True
    return False


# Particles that mark the role of the asked thing (いつから, どこに/どこへ: the goal).
SLOT_PARTICLES = frozenset({"から", "まで", "に", "へ"})


def _slot(morphs: Sequence[Morph], intent: Intent) -> tuple[frozenset[str], str]:
    """The content words next to the interrogative on each side (particles, fillers and light
    verbs such as する・なる・出す skipped) and the particle right after it (から, まで)."""
    if not intent.asked:
        return frozenset(), ""
    start = intent.asked[-1][0]
    i = next((j for j, m in enumerate(morphs) if m.start == start), None)
    if i is None:
        return frozenset(), ""

    def content(m: Morph) -> bool | None:
        """True: a content word; None: skip it; False: stop."""
        if m.pos[0] in ("助詞", "補助記号", "助動詞", "空白") or m.norm in FILLERS:
            return None
        if m.pos[0] == "動詞" and m.pos[1] == "非自立可能":
            return None
        if _lone_letter(m.surface):
            return False
        return m.pos[0] in ("名詞", "動詞", "形容詞") and m.pos[1] != "数詞"

    def first_word(run: Sequence[Morph]) -> set[str]:
        """The first content word of ``run``, skipping what does not count; none past a stop."""
        for m in run:
            kind = content(m)
            if kind is not None:
                return {m.surface} if kind else set()
        return set()

    words = first_word(morphs[max(0, i - 4) : i][::-1])
    j = i + 1
    while j < len(morphs) and morphs[j].pos[0] == "接尾辞":  # 何年間, 何曜日
        j += 1
    particle = morphs[j].surface if j < len(morphs) and morphs[j].surface in SLOT_PARTICLES else ""
    return frozenset(words | first_word(morphs[j : j + 4])), particle


def _focus(morphs: Sequence[Morph], intent: Intent) -> frozenset[str]:
    """The noun just before the interrogative (particles and fillers skipped) and its head."""
    out: set[str] = set()
    if intent.head:
        out.add(intent.head)
    if intent.asked:
        start = intent.asked[0][0]
        i = next((j for j, m in enumerate(morphs) if m.start == start), None)
        if i is not None:
            for m in reversed(morphs[max(0, i - 4) : i]):
                if m.pos[0] in ("助詞", "補助記号", "助動詞") or m.norm in FILLERS:
                    continue
                # a lone Latin letter ends a model number (P-07D): no noun to answer about
                if m.pos[0] == "名詞" and m.pos[1] != "数詞" and not _lone_letter(m.surface):
                    out.add(m.norm)
                break
    return frozenset(out - FILLERS)


def _lone_letter(surface: str) -> bool:
    return len(surface) == 1 and surface.isascii() and surface.isalpha()


def _spoken_what(morphs: Sequence[Morph]) -> int | None:
    """「説教なんだった？」「答えなんだっけ」: after a noun, なん (何) is read by Sudachi as
    な + ん (のだ); in a question with no other interrogative only 何 makes it a question. The
    position of ん, or None."""
    for i in range(1, len(morphs) - 2):
        m, n, after = morphs[i], morphs[i + 1], morphs[i + 2]
        if (
            morphs[i - 1].pos[0] == "名詞"
            and m.surface == "な"
            and m.pos[0] == "助動詞"
            and n.surface == "ん"
            and n.pos[1] == "準体助詞"
            and after.norm in ("だ", "です")
            and any(x.norm in ("?", "か", "け") for x in morphs[i + 3 :])
        ):
            return i + 1
    return None


def _spoken_why(morphs: Sequence[Morph]) -> tuple[tuple[int, int], ...] | None:
    """「乾くの遅くならないのなんで？」: なんで ending a question is read by Sudachi as な + ん + で
    (のだ in its continuative form), which asks nothing; only "why" makes it a question. The
    span of なんで, or None."""
    for i in range(len(morphs) - 2):
        m, n, de = morphs[i], morphs[i + 1], morphs[i + 2]
        if (
            m.surface == "な"
            and m.pos[0] == "助動詞"
            and n.surface == "ん"
            and n.pos[1] == "準体助詞"
            and de.surface == "で"
            and m.end == n.start
            and n.end == de.start
            # only the end of a question after it (？, か, の, だろう), not 「…なんで、中止です」
            and all(
                x.norm in ("?", "!") or x.pos[0] == "助動詞" or x.pos[1] in ("終助詞", "準体助詞")
                for x in morphs[i + 3 :]
            )
        ):
            return ((m.start, de.end),)
    return None


_TOLD = frozenset({"た", "てる", "居る"})  # 言った, 言ってた, 言っている: something said


def _naming(rest: Sequence[Morph]) -> bool:
    """Whether the verb after 何と is 言う in the present (「何と言うか」「何て言うの」): asking
    what a thing is called rather than what someone said."""
    for k, m in enumerate(rest[:4]):
        if m.pos[0] == "動詞":
            return m.norm == "言う" and not any(x.norm in _TOLD for x in rest[k + 1 : k + 4])
    return False


def _noun_before(morphs: Sequence[Morph], i: int) -> str | None:
    """The noun right before position ``i`` (particles って/は/の skipped), if any."""
    for m in reversed(morphs[max(0, i - 3) : i]):
        if m.pos[0] in ("助詞", "補助記号"):
            continue
        return m.norm if m.pos[0] == "名詞" else None
    return None


def _counted(counter: str, period: bool, span: tuple[tuple[int, int], ...]) -> Intent:
    if not counter:
        return Intent(NUMBER, asked=span)
    if counter in DATE_COUNTERS and not period:
        return Intent(DATE, frozenset({counter}), asked=span)
    if counter in ("対",):  # 何対何: a score
        return Intent(NUMBER, frozenset({"対", "-", "−"}), asked=span)
    if counter in ("%", "％", "パーセント", "割"):
        return Intent(NUMBER, PERCENT, asked=span)
    return Intent(NUMBER, frozenset({counter}), asked=span)


def _counted_noun(morphs: Sequence[Morph], i: int) -> frozenset[str]:
    """Counters for いくつ at ``i``: つ and 個, and the noun before it (skipping は/って/が)."""
    out = {"つ", "個"}
    for m in reversed(morphs[max(0, i - 3) : i]):
        if m.pos[0] == "助詞":
            continue
        if m.pos[0] == "名詞":
            word = m.surface.removeprefix("お").removeprefix("御")
            out |= {word, word[-1:], *_counts_of({word})}
        break
    return frozenset(x for x in out if x)


def _counts_of(nouns: set[str]) -> frozenset[str]:
    """The counters of 〜数 nouns, "the number of 〜" (画素数 → 画素, 人数 → 人, 台数 → 台)."""
    return frozenset(n[:-1] for n in nouns if len(n) > 1 and n.endswith("数"))


def _what(morphs: Sequence[Morph], i: int, nouns: set[str], span) -> Intent:
    """何 / どの / どんな: the kind comes from what follows (何て言った, 何て曲) or the topic."""
    rest = morphs[i + 1 : i + 6]
    norms = [m.norm for m in rest]
    head = _next_noun(morphs, i)
    # 何て言った / なんと語った / 何しろって言われた: a quotation. But 「Xを何と言う(か)」 in
    # the plain present asks what a thing is called: a term, seldom quoted.
    if any(n in SAY for n in norms[:4]) and head is None:
        return Intent(OTHER if _naming(rest) else QUOTE, asked=span)
    if head in NAME_NOUNS:
        if nouns & PERSON_NOUNS:
            return Intent(PERSON, head=head, asked=span)
        return Intent(NAME, head=head, asked=span)
    if head in REASON_NOUNS or (morphs[i].norm == "何" and norms[:2] == ["の", "ため"]):
        return Intent(REASON, asked=span)
    if head in QUOTE_NOUNS:
        return Intent(QUOTE, head=head, asked=span)
    if head in PERSON_NOUNS:
        return Intent(PERSON, head=head, asked=span)
    if head in PLACE_WORDS:
        return Intent(PLACE, head=head, asked=span)
    if head in DATE_WORDS:
        return Intent(DATE, asked=span)
    if head is not None:
        return Intent(NAME, head=head, asked=span)
    # 「Xって何？」: what X is called or is; the topic nouns before it may say which.
    if _noun_before(morphs, i) in NAMED_CLASSES:
        return Intent(NAME, asked=span)
    if nouns & QUOTE_NOUNS:
        return Intent(QUOTE, asked=span)
    if nouns & REASON_NOUNS:
        return Intent(REASON, asked=span)
    if nouns & NAME_NOUNS:
        return Intent(PERSON if nouns & PERSON_NOUNS else NAME, asked=span)
    return Intent(OTHER, asked=span)  # 「Xって何？」: a name or a description, nothing to prefer
