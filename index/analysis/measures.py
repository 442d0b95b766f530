"""The dimensions a question names and the units that measure them (pure data and one lookup).

「重さどのくらい」 asks for grams, 「視聴率いくつ」 for a percentage, 「金利いくら」 for a percentage
rather than yen: :func:`measure_units` gives the units an answer should carry, for
:mod:`index.analysis.question`. Imports nothing of kiji.
"""

from __future__ import annotations

# Dimension nouns of 「どのくらい」 questions and the units that measure them.
MEASURES: dict[str, frozenset[str]] = {
    "重さ": frozenset({"g", "kg", "グラム", "キロ", "t", "トン"}),
    "重量": frozenset({"g", "kg", "グラム", "キロ", "t", "トン"}),
    "大きさ": frozenset({"mm", "cm", "m", "km", "インチ", "ミリ", "センチ", "メートル"}),
    "長さ": frozenset({"mm", "cm", "m", "km", "ミリ", "センチ", "メートル", "キロ"}),
    "丈": frozenset({"mm", "cm", "m", "ミリ", "センチ", "メートル"}),
    "高さ": frozenset({"mm", "cm", "m", "ミリ", "センチ", "メートル"}),
    "距離": frozenset({"m", "km", "メートル", "キロ"}),
    "サイズ": frozenset({"mb", "gb", "kb", "mm", "cm", "インチ", "バイト"}),
    "容量": frozenset({"mb", "gb", "tb", "mah", "l", "ml", "リットル"}),
    "速さ": frozenset({"秒", "km", "mbps", "キロ"}),
    "速度": frozenset({"秒", "km", "mbps", "キロ"}),
    "視聴率": frozenset({"%", "パーセント", "割"}),
    "割合": frozenset({"%", "パーセント", "割"}),
    "率": frozenset({"%", "パーセント", "割"}),
    "金利": frozenset({"%", "パーセント"}),  # a rate is a percentage, not an amount of money
    "利回り": frozenset({"%", "パーセント"}),
    "打率": frozenset({"割", "分", "厘"}),
    "値段": frozenset({"円", "ドル", "ユーロ", "元", "ウォン"}),
    "価格": frozenset({"円", "ドル", "ユーロ", "元", "ウォン"}),
    "料金": frozenset({"円", "ドル", "ユーロ", "元", "ウォン"}),
    "金額": frozenset({"円", "ドル", "ユーロ", "元", "ウォン"}),
    "年収": frozenset({"円", "ドル"}),
    "給料": frozenset({"円", "ドル"}),
    "賞金": frozenset({"円", "ドル"}),
    "費用": frozenset({"円", "ドル"}),
    "人数": frozenset({"人", "名"}),
    "時間": frozenset({"時間", "分", "秒"}),
    "期間": frozenset({"日", "日間", "週間", "か月", "ヶ月", "カ月", "年", "年間"}),
    # Adjectives of degree say the dimension too (どのくらい速い → seconds, 重い → grams).
    "速い": frozenset({"秒", "km", "mbps", "キロ"}),
    "早い": frozenset({"秒", "分", "日"}),
    "重い": frozenset({"g", "kg", "グラム", "キロ"}),
    "軽い": frozenset({"g", "kg", "グラム", "キロ"}),
    "長い": frozenset({"時間", "分", "mm", "cm", "m", "km"}),
    "大きい": frozenset({"mm", "cm", "m", "インチ", "ミリ", "センチ"}),
    "小さい": frozenset({"mm", "cm", "m", "インチ", "ミリ", "センチ"}),
    "高い": frozenset({"円", "m", "メートル", "%"}),
    "安い": frozenset({"円"}),
    "広い": frozenset({"m", "平方メートル", "畳", "ha"}),
}


def measure_units(nouns: set[str]) -> frozenset[str]:
    """The units of the dimensions among ``nouns`` (a compound by its last one or two
    characters: 初回視聴率 → 率, 平均年収 → 年収); empty when none names one."""
    units: set[str] = set()
    for n in nouns:
        got = MEASURES.get(n)
        if got is None and len(n) > 1:
            got = MEASURES.get(n[-2:]) or MEASURES.get(n[-1:])  # 初回視聴率, 平均年収
        if got:
            units |= got
    return frozenset(units)
