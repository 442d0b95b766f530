"""Why an input was not ingested (``kiji ingest``, feeds): key → (ja, en).

The parsers (index/ingest/parsers) give these as :class:`~index.models.Rejection` or
:class:`~index.errors.ArticleParseError` made with a key; the command line says them in the
user's language, and ``--json`` gives the key as ``code`` beside the English ``reason``.
Details that come from elsewhere (an operating system's error, the JSON decoder's words) are
quoted as they are.
"""

INGEST: dict[str, tuple[str, str]] = {
    # caps set in the environment (index/ingest/limits.py)
    "setting_not_size": (
        "{name}={value!r} はサイズではありません。バイト数か 512M、2G のように指定してください",
        "{name}={value!r} is not a size; use bytes or e.g. 512M, 2G",
    ),
    "setting_not_positive": (
        "{name}={value!r} は正の数にしてください",
        "{name}={value!r} must be a positive number",
    ),
    # a file as a whole (index/ingest/parsers/__init__.py)
    "reject_unknown_format": (
        "形式 {fmt!r} はわかりません。使える形式：{formats}",
        "unknown format {fmt!r}; expected one of {formats}",
    ),
    "reject_unreadable": ("ファイルを読めません：{error}", "cannot read the file: {error}"),
    "reject_unreadable_rest": (
        "ファイルの残りを読めません：{error}",
        "cannot read the rest of the file: {error}",
    ),
    "reject_guess_binary": (
        "バイナリか、わからない文字コードです。誤りなら形式を指定してください",
        "binary or unknown encoding; pass the format explicitly if this is a mistake",
    ),
    "reject_guess_unknown": (
        "形式がわかりません。誤りなら形式を指定してください",
        "unknown format; pass the format explicitly if this is a mistake",
    ),
    "reject_too_large": ("大きすぎます（{mb} MB 超）", "too large (over {mb} MB)"),
    "reject_decompressed_cap": (
        "展開後のサイズが上限の {cap:,} バイトを超えました（本物のファイルなら {setting} を上げてください）",
        "decompressed size exceeds the limit of {cap:,} bytes "
        "(raise {setting} if this file is genuine)",
    ),
    "reject_gzip_bomb": (
        "{ratio:,.0f} 倍に展開されます（上限 {limit:g} 倍）。記事のファイルではなく gzip 爆弾です（本物なら {setting} を上げてください）",
        "expands {ratio:,.0f} times (the limit is {limit:g}): a gzip bomb, not an article file "
        "(raise {setting} if it is genuine)",
    ),
    # text that is not text (index/ingest/parsers/text.py, jsonl.py, html.py)
    "reject_binary": (
        "バイナリか、わからない文字コードです（{detail}）",
        "binary or unknown encoding ({detail})",
    ),
    "binary_nul": ("NUL バイトがあります", "NUL bytes"),
    "binary_nul_line1": (
        "1 行目に NUL バイトがあります。JSONL ファイルではありません",
        "NUL bytes on line 1; not a JSONL file",
    ),
    "binary_nul_no_bom": (
        "NUL バイトがあります。UTF-16 には BOM が必要です",
        "NUL bytes; UTF-16 needs a BOM",
    ),
    "binary_control": (
        "{at} 文字目に制御文字 U+{code:04X}",
        "control character U+{code:04X} at character {at}",
    ),
    "binary_bad_utf8_bom": (
        "UTF-8 の BOM がありますが UTF-8 として読めません：{reason}",
        "UTF-8 BOM but invalid UTF-8: {reason}",
    ),
    "binary_utf32": (
        "UTF-32 には対応していません。UTF-8 で保存してください",
        "UTF-32 is not supported; save as UTF-8",
    ),
    "binary_bad_utf16_bom": (
        "UTF-16 の BOM がありますが UTF-16 として読めません：{reason}",
        "UTF-16 BOM but invalid UTF-16: {reason}",
    ),
    "binary_not_cp932": (
        "UTF-8 でも Shift_JIS/CP932 でもありません（最初の不正なバイトは {at} バイト目）",
        "neither UTF-8 nor Shift_JIS/CP932; first bad byte at {at}",
    ),
    # JSON Lines (index/ingest/parsers/jsonl.py)
    "reject_line_too_long": (
        "行が長すぎます（{n:,} バイト。上限は {limit:,}）",
        "line too long ({n:,} bytes; the limit is {limit:,})",
    ),
    "reject_line_too_long_utf16": (
        "行が長すぎます（上限は {limit:,} バイト）",
        "line too long (the limit is {limit:,} bytes)",
    ),
    "reject_utf16_invalid": (
        "この行から先は UTF-16 として読めません：{error}",
        "invalid UTF-16 from this line on: {error}",
    ),
    "reject_json_at": (
        "JSON として読めません：{problem}（{col} 文字目）",
        "invalid JSON: {problem} at column {col}",
    ),
    "reject_json": ("JSON として読めません：{error}", "invalid JSON: {error}"),
    "json_control_character": (
        "文字列の中にエスケープされていない制御文字 U+{code:04X} があります（\\n、\\t、\\uXXXX と書いてください）",
        "unescaped control character U+{code:04X} inside a string "
        "(write it as \\n, \\t or \\uXXXX)",
    ),
    "reject_not_object": (
        "JSON オブジェクトではありません（{type}）",
        "expected a JSON object, got {type}",
    ),
    "reject_missing_field": ("フィールド {name!r} がありません", "missing field {name!r}"),
    "reject_field_not_string": (
        "フィールド {name!r} は文字列でなければなりません（{type} でした）",
        "field {name!r} must be a string, got {type}",
    ),
    "reject_field_empty": ("フィールド {name!r} が空です", "field {name!r} is empty"),
    "reject_field_surrogate": (
        "フィールド {name!r} が正しい Unicode ではありません（対になっていないサロゲート {char}）",
        "field {name!r} is not valid Unicode (a lone surrogate {char})",
    ),
    "reject_body_too_long": (
        "本文が長すぎます（{n:,} 文字。上限は {limit:,}）",
        "body too long ({n:,} characters; the limit is {limit:,})",
    ),
    # dates (index/ingest/parsers/text.py: parse_datetime)
    "date_what": ("日付", "date"),
    "date_what_front_matter": ("フロントマターの published_at", "front matter published_at"),
    "date_what_page": ("ページの日付", "page date"),
    "date_what_livedoor": ("2 行目の日付", "line 2 date"),
    "reject_date_empty": ("{what} が空です", "{what} is empty"),
    "reject_date_not_iso": (
        "{what} {value!r} は ISO 8601 の日付ではありません（例：2025-01-06T09:00:00+09:00）",
        "{what} {value!r} is not an ISO 8601 date (e.g. 2025-01-06T09:00:00+09:00)",
    ),
    "reject_date_range": ("{what} {value!r} は範囲外です", "{what} {value!r} is out of range"),
    # web pages (index/ingest/parsers/html.py)
    "reject_html_empty": ("空のページです", "empty page"),
    "reject_html_invalid": ("HTML ページではありません：{error}", "not an HTML page: {error}"),
    "reject_html_no_main": (
        "本文を取り出せません：ページに記事の本文がありません",
        "no extractable text: the page has no main article text",
    ),
    "reject_html_no_paragraphs": (
        "本文を取り出せません：ページに段落がありません",
        "no extractable text: the page has no paragraphs",
    ),
    "reject_html_no_title": (
        "タイトルがありません：og:title も <title> も見出しもありません",
        "no title: neither og:title, <title> nor a heading",
    ),
    # livedoor corpus files (index/ingest/parsers/livedoor.py)
    "reject_livedoor_short": (
        "{n} 行しかありません。livedoor のファイルには URL、日付、タイトル、本文の行があります",
        "only {n} lines; a livedoor file has URL, date, title and body lines",
    ),
    "reject_livedoor_url": (
        "1 行目：記事の URL のはずが {got!r} です",
        "line 1: expected the article URL, got {got!r}",
    ),
    "reject_livedoor_date": (
        "2 行目：2010-05-22T14:30:00+0900 のような日付のはずが {got!r} です",
        "line 2: expected a date like 2010-05-22T14:30:00+0900, got {got!r}",
    ),
    "reject_livedoor_title": ("3 行目：タイトルが空です", "line 3: the title is empty"),
    "reject_livedoor_body": ("本文（4 行目以降）が空です", "the body (line 4 onwards) is empty"),
    # explainer pages (index/ingest/parsers/explainer.py)
    "reject_explainer_empty": (
        "タイトルがありません：ファイルが空です",
        "no title: the file is empty",
    ),
    "reject_explainer_title_long": (
        "{line} 行目：最初の行が {n} 文字あります。タイトルのはずです",
        "line {line}: the first line is {n} characters; expected a title",
    ),
    "reject_explainer_no_paragraph": (
        "段落がありません：タイトルの後に文として読める行がありません",
        "no paragraph: nothing after the title reads as a sentence",
    ),
    "reject_front_matter_line": (
        "{line} 行目：フロントマターの行が「key: value」の形ではありません（閉じる「---」がないのでは？）",
        "line {line}: front matter line is not 'key: value' (is the closing '---' missing?)",
    ),
    "reject_front_matter_twice": (
        "{line} 行目：フロントマターのキー {key!r} が二度あります",
        "line {line}: front matter key {key!r} appears twice",
    ),
    "reject_front_matter_open": (
        "1 行目の「---」で始まるフロントマターを閉じる「---」がありません",
        "front matter starts with '---' on line 1 but has no closing '---'",
    ),
    "reject_block_twice": (
        "{line} 行目：{name} のブロックが二つ目です",
        "line {line}: a second {name} block",
    ),
    "reject_references_entry": (
        "{line} 行目：参考資料の行は「- タイトル | 発行元」の形にしてください（{got!r}）",
        "line {line}: 参考資料 entries must look like '- title | publisher', got {got!r}",
    ),
    "reject_block_odd": (
        "{line} 行目：{name} のブロックが {n} 行です。タイトルと要約の組のはずです",
        "line {line}: the {name} block has {n} lines; expected title/summary pairs",
    ),
    "reject_block_sentence": (
        "{line} 行目：{name} のタイトルの位置に文があります。組がずれていませんか？",
        "line {line}: {name} expected a title but found a sentence; are the pairs shifted?",
    ),
    "reject_headings_in_a_row": (
        "{line} 行目：見出しが {n} 行続いています（{headings}）。見分けられるのは親と子の二つまでです",
        "line {line}: {n} headings in a row ({headings}); "
        "only a parent and one child heading can be told apart",
    ),
    "reject_heading_alone": (
        "{line} 行目：見出し {heading!r} の後に段落がありません",
        "line {line}: heading {heading!r} has no paragraphs",
    ),
    # RSS / Atom (index/ingest/parsers/feed.py, index/ingest/feeds.py)
    "reject_not_feed": ("RSS/Atom フィードではありません", "not an RSS/Atom feed"),
    "reject_not_feed_because": (
        "RSS/Atom フィードではありません（{error}）",
        "not an RSS/Atom feed ({error})",
    ),
    "reject_not_feed_error": (
        "RSS/Atom フィードではありません：{error}",
        "not an RSS/Atom feed: {error}",
    ),
    "reject_entry_no_id": (
        "エントリーに guid/id もリンクもありません",
        "entry has neither a guid/id nor a link",
    ),
    "reject_entry_duplicate": (
        "guid が重複しています（エントリー {n} と同じ）",
        "duplicate guid (same as entry {n})",
    ),
    "reject_entry_no_title": ("エントリーにタイトルがありません", "entry has no title"),
    "reject_entry_no_date": (
        "日付がありません：エントリーにもフィードにも公開・更新日時がありません",
        "no date: neither the entry nor the feed has a published/updated date",
    ),
    "reject_entry_future": (
        "未来の日付 {date} です（1 日以上先）",
        "future date {date} (more than a day ahead)",
    ),
    "reject_entry_no_text": ("エントリーに本文がありません", "entry has no text"),
    "reject_entry_page_failed": (
        "エントリーに本文がなく、ページの取得にも失敗しました：{reason}",
        "entry has no text and its page failed: {reason}",
    ),
    # preparing an article for the index (index/store/prepare.py)
    "reject_lone_surrogate": (
        "正しい Unicode ではありません：対になっていないサロゲート {char}（テキストは正しい UTF-8 にしてください）",
        "invalid Unicode: a lone surrogate {char} (text must be valid UTF-8)",
    ),
    "reject_title_controls": (
        "制御文字を取り除くとタイトルが空になります",
        "the title is empty once control characters are removed",
    ),
    "reject_not_indexed": (
        "索引に入れられませんでした（{error}）",
        "could not be indexed ({error})",
    ),
}
