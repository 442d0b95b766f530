"""What every front end shows around an answer or a digest (the terminal and Discord alike)."""

ANSWERS: dict[str, tuple[str, str]] = {
    # an answer
    "related": ("関連記事", "Related articles"),
    "answer_not_found": (
        "該当する記事が見つかりませんでした。",
        "No article in the index answers this question. Try other words, or a broader question.",
    ),
    "answer_no_answer": (
        "記事の中に、この質問に答える内容は見つかりませんでした。",
        "No article in the index answers this question. Try other words, or a broader question.",
    ),
    "answer_closest": ("近い話題の記事はこちらです。", " The closest articles are below."),
    # The hint is for a member who wrote in another language: it says it in English as well.
    "answer_not_japanese": (
        "日本語で質問してください。kiji answers questions in Japanese about Japanese news "
        "articles: please ask in Japanese (例：「日銀は政策金利を何%に引き上げた？」)。",
        "kiji answers questions in Japanese about Japanese news articles: please ask in Japanese "
        "(例：「日銀は政策金利を何%に引き上げた？」)。",
    ),
    "answer_empty_index": (
        "まだ記事が登録されていません。`kiji ingest` で記事を取り込んでください。",
        "No articles yet: add some with `kiji ingest`.",
    ),
    "answer_window_answered": (
        "{desc}に公開された記事から答えています。",
        "Answered from the articles published in the period asked for ({desc}).",
    ),
    "answer_window_widened": (
        "{desc}に公開された記事には見つからなかったため、期間を限らずに探しました。",
        "No article of the period asked for ({desc}) answers it, so all articles were searched.",
    ),
    "answer_window_none": (
        "{desc}に公開された記事にも、ほかの記事にも見つかりませんでした。",
        "Neither the articles of the period asked for ({desc}) nor any other answer it.",
    ),
    # a question that cannot be searched (InvalidQuery, index/search/search.py)
    "query_empty": (
        "質問が空です。知りたいことを文章で入力してください。",
        "The question is empty. Write what you want to know as a sentence.",
    ),
    "query_too_long": (
        "質問が長すぎます（{n}文字）。{limit}文字以内にしてください。",
        "The question is too long ({n} characters). Keep it within {limit} characters.",
    ),
    "query_no_terms": (
        "検索できる語が見つかりませんでした。記号や絵文字だけでなく、言葉で質問してください。",
        "No searchable words were found. Ask with words, not only symbols or emoji.",
    ),
    # 「今週のニュースまとめて」 (index/answer/period.py)
    "summary_recent": ("最近", "recently"),
    "summary_pointer": (
        "日ごとのダイジェストは /digest preview（ターミナルでは kiji digest --date 日付）で見られます。",
        "The digest of each day is in /digest preview (in a terminal: kiji digest --date DAY).",
    ),
    "summary_none": (
        "{desc}に公開された記事はありません。{pointer}",
        "No articles were published {desc}. {pointer}",
    ),
    "summary_note": ("{desc}の主なニュースです。{pointer}", "The main news {desc}. {pointer}"),
    # a digest
    "digest_empty": (
        "{date}に公開された記事はありません。",
        "No articles were published on {date}.",
    ),
    "digest_empty_category": (
        "{date}に公開された記事は{n}件ありますが、{categories}の記事はありません（この日のカテゴリ: {there}）。",
        "{n} articles were published on {date}, but none in {categories} (that day: {there}).",
    ),
    "digest_day": ("{date}（{tz}）", "{date} ({tz})"),
    "digest_heading": ("ニュースダイジェスト {date}（{tz}）", "News digest {date} ({tz})"),
    "digest_heading_count": (
        "ニュースダイジェスト {date}（{tz}）: {n}件",
        "News digest {date} ({tz}): {n} articles",
    ),
    "digest_section": ("{name}（{n}件）", "{name} ({n})"),
    "list_separator": ("、", ", "),
}
