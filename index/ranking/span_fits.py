"""How well each kind of answer span answers each kind of question (pure data for
:mod:`index.ranking.answer_spans`): 1.0 for an exact fit, less for a looser one, absent for none.
Imports only the answer kinds of :mod:`index.analysis.question`.
"""

from __future__ import annotations

from index.analysis.question import DATE, NAME, PERSON, PLACE, QUOTE, REASON

# How well each span kind answers each question kind.
FIT: dict[str, dict[str, float]] = {
    PERSON: {"person": 1.0, "value": 1.0},
    PLACE: {"place": 1.0, "value": 0.6, "org": 0.6, "propn": 0.6, "latin": 0.3, "katakana": 0.4},
    NAME: {"title": 1.0, "value": 1.0, "quote": 0.8, "propn": 0.7, "latin": 0.7, "katakana": 0.6,
           "org": 0.6, "person": 0.4, "place": 0.4, "label": 0.3},
    QUOTE: {"quote": 1.0, "speech": 0.8, "directive": 0.8, "title": 0.5, "label": 0.2},
    DATE: {"date": 1.0, "time": 0.4},
    REASON: {"reason": 1.0},
}  # fmt: skip


# Advice or an order asked (Intent.directive): the imperative is the answer, a remark in speech
# (〜わよ) is at most its setting.
DIRECTIVE_FIT = {"quote": 1.0, "directive": 1.0, "speech": 0.6, "title": 0.5, "label": 0.2}

# どこのメーカー, どこの会社 ask for a company: its name rather than a work's title or a
# quotation (a publication, どこの雑誌 or どこのサイト, is often named in 『』 or 「」).
COMPANY_HEADS = frozenset(
    {"会社", "企業", "メーカー", "社", "航空会社", "キャリア", "代理店", "通信社", "事務所", "球団"}
)
COMPANY_FIT = {"org": 1.0, "value": 1.0, "propn": 0.8, "latin": 0.8, "katakana": 0.7,
                "person": 0.3, "title": 0.5, "quote": 0.5, "place": 0.3}  # fmt: skip

# 誰の曲, 誰の作品 ask for an artist or an author, often a group written in Latin letters or
# katakana, or an organisation.
GROUP_FIT = {"latin": 0.7, "katakana": 0.6, "propn": 0.7, "org": 0.6}

# Units written two ways (グラム and g): a question's counter matches either.
UNIT_ALIASES: dict[str, frozenset[str]] = {
    "グラム": frozenset({"g"}), "g": frozenset({"グラム"}),
    "キログラム": frozenset({"kg", "キロ"}), "kg": frozenset({"キロ", "キログラム"}),
    "キロ": frozenset({"kg", "km"}), "km": frozenset({"キロ"}),
    "メートル": frozenset({"m"}), "m": frozenset({"メートル"}),
    "センチ": frozenset({"cm"}), "cm": frozenset({"センチ"}),
    "ミリ": frozenset({"mm"}), "mm": frozenset({"ミリ"}),
    "パーセント": frozenset({"%"}), "%": frozenset({"パーセント"}),
    "リットル": frozenset({"l"}), "l": frozenset({"リットル"}),
    "個": frozenset({"つ"}), "つ": frozenset({"個"}),
    "人": frozenset({"名"}), "名": frozenset({"人"}),
    "年": frozenset({"年間"}), "年間": frozenset({"年"}),
    "度": frozenset({"℃", "°c", "°"}), "℃": frozenset({"度"}), "°c": frozenset({"度"}),
    "ヶ月": frozenset({"か月", "カ月", "ヵ月", "ケ月"}), "か月": frozenset({"ヶ月", "カ月", "ヵ月"}),
    "作品": frozenset({"作", "本"}), "作": frozenset({"作品"}),  # 何作品 → 15作, 12本 (films)
}  # fmt: skip
