"""The words questions are made of (pure data): interrogatives (疑問詞) and what they ask for,
the nouns that name an answer's kind (理由, 名前, 場所), fillers of casual speech, counters.

:mod:`index.analysis.question` reads a question with these lists; they are kept apart so the rules
there read without 60 lines of vocabulary before them. Imports nothing of kiji.
"""

from __future__ import annotations

# Discourse words and fillers of casual questions: never search terms, never evidence.
FILLERS = frozenset(
    {
        "結局", "一体", "ぶっちゃけ", "ちなみに", "そもそも", "要するに", "奴", "やつ", "なんか",
        "何か", "確か", "たしか", "あれ", "これ", "それ", "あの", "その", "この", "ほら", "ねえ",
        "えっと", "マジ", "本当", "ほんと", "ホント", "実際", "今", "いま", "全部", "全然",
        "一番", "いちばん", "感じ", "的", "話", "件", "記事", "ニュース", "確認", "ところ",
        # hedges: 「だいたいどれぐらい」「およそ何人」 ask for the same number
        "大体", "だいたい", "凡そ", "およそ", "ざっと", "大方",
    }
)  # fmt: skip
# Formal nouns (形式名詞): nouns by part of speech that carry grammar, not topic (〜によるもの,
# 〜のこと, 〜するとき). A question's evidence weighs them like its predicates.
FORMAL_NOUNS = frozenset(
    {"物", "もの", "事", "こと", "所", "ところ", "時", "とき", "為", "ため", "訳", "わけ", "筈",
     "はず", "様", "よう", "際", "方", "ほう", "等", "など"}
)  # fmt: skip
# Interrogatives (normalised forms) and what they ask for.
WHO = frozenset({"誰", "だれ", "どなた", "何者"})
WHERE = frozenset({"何処", "どこ", "どちら", "何方"})
# 何時 is read as いつ by Sudachi's normalisation; いつごろ and 何時頃 are one word to it
# (normalised いつ頃, 何時頃).
WHEN = frozenset({"何時", "いつ", "いつ頃", "何時頃"})
WHY = frozenset({"何故", "なぜ", "どうして", "なんで"})
HOW_MUCH = frozenset({"幾ら", "いくら"})
HOW_MANY = frozenset({"幾つ", "いくつ"})
WHAT = frozenset({"何", "なに", "なん"})
WHICH = frozenset({"どの", "どれ", "どっち", "どんな", "どのような", "どういう", "如何なる"})
WHAT_ADVERBS = frozenset({"何しろ", "何せ"})  # 何(を)しろ in speech: see read_intent
# 「どのくらい」「どれくらい」「どんくらい」「どれほど」「どれだけ」「どんだけ」: an amount.
DEGREE_HEADS = frozenset({"どの", "どれ", "どん", "どんだけ"})
DEGREE_PARTICLES = frozenset({"くらい", "ぐらい", "位", "ほど", "程", "だけ", "程度"})
# Verbs of saying: 「何て言った」「なんと語った」 ask for a quotation.
SAY = frozenset(
    {"言う", "云う", "語る", "述べる", "話す", "書く", "答える", "叫ぶ", "呟く", "明かす",
     "コメント", "発言", "ツイート", "告白", "説明", "説教", "アドバイス", "指摘", "返す", "突っ込む"}
)  # fmt: skip
# Nouns whose content is a quotation: 「メッセージってなんだった」「どんなツッコミ」.
QUOTE_NOUNS = frozenset(
    {"メッセージ", "コメント", "言葉", "発言", "台詞", "セリフ", "名言", "ツッコミ", "突っ込み",
     "答え", "説教", "返事", "一言", "感想", "回答", "アドバイス", "助言", "意見", "キャッチコピー",
     "スローガン", "合言葉", "呟き", "つぶやき", "見出し"}
)  # fmt: skip
# What a consultation or a lecture answers with: advice, an order (「即刻LANケーブルをはずしなさい」).
ADVICE_NOUNS = frozenset(
    {"アドバイス", "助言", "説教", "忠告", "指示", "命令", "教え", "相談", "指南", "お説教"}
)
REASON_NOUNS = frozenset({"理由", "原因", "訳", "わけ", "ワケ", "きっかけ", "動機", "要因"})
NAME_NOUNS = frozenset(
    {"名前", "名", "タイトル", "名称", "題名", "曲名", "作品名", "商品名", "店名", "社名", "番組名",
     "呼び方", "呼び名", "愛称", "通称", "本名", "芸名", "品名", "銘柄"}
)  # fmt: skip
# Nouns of classes whose members bear names (works, products, services): 「元ネタの映画なに？」
# 「ジャンプしてくれる拡張って何？」 ask which one, by name.
NAMED_CLASSES = frozenset(
    {"映画", "曲", "歌", "楽曲", "アルバム", "シングル", "本", "小説", "漫画", "マンガ", "作品",
     "番組", "ドラマ", "アニメ", "ゲーム", "アプリ", "ソフト", "拡張", "拡張機能", "サービス",
     "サイト", "商品", "製品", "機種", "端末", "モデル", "ブランド", "雑誌", "書籍", "グループ",
     "バンド", "ユニット", "チーム", "技", "料理", "メニュー", "キャラ", "キャラクター", "役"}
)  # fmt: skip
DATE_WORDS = frozenset({"日付", "時期", "日程", "日時", "期日", "期限", "締め切り", "締切"})
# Organisations and publications: 「どこの週刊誌」「作ってる会社どこ」 ask for a name (週刊文春,
# 角川書店), not a place, though どこ asks them.
ORG_CLASSES = frozenset(
    {"会社", "企業", "メーカー", "社", "週刊誌", "雑誌", "誌", "新聞", "新聞社", "出版社", "版元",
     "レーベル", "事務所", "局", "テレビ局", "放送局", "サイト", "ブランド", "球団", "チーム",
     "クラブ", "団体", "組織", "塾", "予備校", "航空会社", "キャリア", "通信社", "代理店"}
)  # fmt: skip
# Compounds headed by 紙 or 誌 name a newspaper or a magazine (スポーツ紙, 地方紙, 専門誌, 情報誌).
ORG_HEADS = ("紙", "誌")


def is_org_class(noun: str | None) -> bool:
    """Whether ``noun`` names a class of organisations or publications (どこの週刊誌, 報じた
    スポーツ紙ってどこ): asked with どこ, it wants a name, not a place."""
    return noun is not None and (noun in ORG_CLASSES or noun.endswith(ORG_HEADS))


PLACE_WORDS = frozenset({"場所", "会場", "開催地", "舞台", "所在地", "出身地", "産地", "行き先"})
# Nouns of persons: 「何て名前」 after one of these asks for a person's name.
PERSON_NOUNS = frozenset(
    {"人", "方", "父", "母", "父親", "母親", "お父さん", "お母さん", "旦那", "妻", "夫", "嫁", "彼氏",
     "彼女", "息子", "娘", "兄", "姉", "弟", "妹", "子", "芸人", "俳優", "女優", "選手", "監督",
     "社長", "会長", "作者", "著者", "作家", "歌手", "声優", "先生", "講師", "犯人", "相手", "本名"}
)  # fmt: skip
MONEY = frozenset({"円", "ドル", "ユーロ", "元", "ウォン", "ポンド"})
PERCENT = frozenset({"%", "パーセント", "割", "ポイント"})
DATE_COUNTERS = frozenset({"年", "月", "日", "曜日", "曜", "時", "分", "年度"})
COUNTER_PERIOD = frozenset({"間", "ぶり", "目", "連続"})  # 何年間 / 何年ぶり: a count, not a date
