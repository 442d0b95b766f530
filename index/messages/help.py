"""The ``kiji`` command line's ``--help``: English text → Japanese.

The English text is written where the option is defined (``help=``, ``description=``), as
argparse expects; :class:`index.cli.parser.KijiParser` shows this Japanese instead when the
command line speaks Japanese. argparse's own words (``usage:``, ``options``, its errors) are
in :mod:`index.messages.cli`. tests/index/test_messages.py checks that every text has an entry.
"""

HELP_JA: dict[str, str] = {
    # kiji (index/cli/main.py)
    "kiji (記事): answers Japanese questions about news articles, with citations.": (
        "kiji（記事）：ニュース記事についての日本語の質問に、引用つきで答えます。"
    ),
    "database file (default: $KIJI_DB or ~/.local/share/kiji/kiji.db), or a "
    "postgresql://user@host:port/db URL": (
        "データベースのファイル（既定：$KIJI_DB か ~/.local/share/kiji/kiji.db）、"
        "または postgresql://user@host:port/db の URL"
    ),
    "debug logging and tracebacks": "デバッグログとトレースバックを表示する",
    "add articles from files or directories": "ファイルやディレクトリから記事を取り込む",
    "tokenising processes (default: CPUs)": "形態素解析のプロセス数（既定：CPU 数）",
    "articles per transaction": "1 トランザクションあたりの記事数",
    "lower the tokenising workers' CPU priority by N (default 10; 0: normal priority)": (
        "形態素解析のプロセスの CPU 優先度を N 下げる（既定 10。0 なら通常の優先度）"
    ),
    "print the summary as JSON": "結果を JSON で表示する",
    "rank passages for a query (JSON lines on stdin)": (
        "クエリに合う段落を順位づけする（標準入力なら JSON Lines）"
    ),
    "the query; without it, one query per line on stdin": (
        "クエリ。省略すると標準入力から 1 行に 1 クエリを読む"
    ),
    "number of hits (default 10)": "表示する件数（既定 10）",
    "JSON output (always on for stdin queries)": "JSON で出力する（標準入力のクエリでは常に JSON）",
    "articles, passages, terms, size on disk": "記事・段落・語の数とディスク上のサイズ",
    "merge index segments (--full purges deletions)": (
        "索引のセグメントを統合する（--full で削除分も消す）"
    ),
    "delete articles by id": "ID を指定して記事を削除する",
    # kiji ask / chat (index/cli/answer.py)
    "answer a question with cited excerpts": "質問に引用つきで答える",
    "Answer a Japanese question from the indexed articles, citing excerpts.": (
        "取り込んだ記事から日本語の質問に答え、抜粋を引用します。"
    ),
    "the question (words are joined with spaces)": "質問（複数の語は空白でつなぎます）",
    "print JSON": "JSON で表示する",
    "at most this many excerpts (default 3)": "抜粋の最大数（既定 3）",
    "answer as of this time (ISO, with timezone)": "この時点として答える（ISO 形式、タイムゾーンつき）",
    "ask questions interactively in the terminal": "ターミナルで対話的に質問する",
    "An interactive session over the same answers as `kiji ask` (Ctrl-D exits).": (
        "`kiji ask` と同じ答えを対話形式で返します（Ctrl-D で終了）。"
    ),
    # kiji feeds (index/cli/feeds.py)
    "RSS/Atom feed subscriptions (add, list, remove, poll)": (
        "RSS/Atom フィードの購読（add、list、remove、poll）"
    ),
    "subscribe to a feed URL": "フィードの URL を購読する",
    "subscriptions and their polling state": "購読と取得の状況を表示する",
    "unsubscribe (articles stay indexed)": "購読をやめる（取り込んだ記事は残ります）",
    "fetch due feeds (or URL) and ingest": "取得時期のフィード（または URL）を取得して取り込む",
    "poll now, ignoring the schedule and ETag/Last-Modified": (
        "予定と ETag/Last-Modified を無視して今すぐ取得する"
    ),
    # kiji digest (index/cli/digest.py)
    "print the news digest of one day": "1 日分のニュースダイジェストを表示する",
    "Articles published on one calendar day, grouped by category, with summaries.": (
        "ある 1 日に公開された記事を、カテゴリごとに要約つきでまとめます。"
    ),
    "the day, YYYY-MM-DD (default: today in --tz)": "日付 YYYY-MM-DD（既定：--tz での今日）",
    "time zone of the day (default %(default)s)": "日付のタイムゾーン（既定 %(default)s）",
    "only this category (repeatable; その他 = articles without one)": (
        "このカテゴリだけ（繰り返し指定できます。その他 = カテゴリのない記事）"
    ),
    "at most N articles": "最大 N 件の記事",
    # kiji feedback (index/cli/feedback.py)
    "the 👍/👎 votes on answers": "答えへの 👍/👎 の投票",
    "Votes cast on answers in Discord (buttons) and in `kiji chat` (+ / -).": (
        "Discord（ボタン）と `kiji chat`（+ / -）で答えに投じられた票です。"
    ),
    "write the votes as an eval question file (JSON lines, for `kiji eval`)": (
        "投票を評価用の質問ファイル（JSON Lines、`kiji eval` 用）に書き出す"
    ),
    "Write one question per voted answer in the format of livedoor-dev/questions.jsonl: a "
    "helpful answer's first excerpt becomes the gold article and expected text.": (
        "投票された答えごとに 1 問を livedoor-dev/questions.jsonl の形式で書き出します。"
        "役に立った答えの最初の抜粋が正解の記事と期待する文になります。"
    ),
    "write to this file (default: standard output)": "このファイルに書き出す（既定：標準出力）",
    "only votes cast on or after DATE (ISO)": "DATE（ISO 形式）以降の票だけ",
    'also write 👎 answers, as lines with "vote": "down" and gold null (to review)': (
        '👎 の答えも "vote": "down"、gold null の行として書き出す（見直し用）'
    ),
    # kiji backup / restore / check / migrate / doctor (index/cli/ops.py)
    "online backup of the database (bot may run)": (
        "データベースをオンラインでバックアップする（ボットは動いたままで構いません）"
    ),
    "backup file, or a directory for a dated file": (
        "バックアップのファイル、または日付つきのファイルを置くディレクトリ"
    ),
    "replace the database with a verified backup": "検証したバックアップでデータベースを置き換える",
    "do not ask for confirmation": "確認しない",
    "passages re-tokenised and compared": "解析し直して照合する段落の数",
    "integrity check + index consistency": "整合性チェックと索引の一貫性の確認",
    "copy the index between a SQLite file and PostgreSQL, then verify the copy": (
        "索引を SQLite のファイルと PostgreSQL の間でコピーし、コピーを検証する"
    ),
    "a SQLite file or a postgresql:// URL": "SQLite のファイルか postgresql:// の URL",
    "a new (or empty) index: file or URL": "新しい（または空の）索引：ファイルか URL",
    "sample queries compared (default 50)": "照合するサンプルクエリの数（既定 50）",
    "check the configuration and say what to fix": "設定を確認し、直すべき点を示す",
    # kiji eval (index/cli/eval.py)
    "score a question file (JSON lines) through the answer pipeline": (
        "質問ファイル（JSON Lines）を回答の処理に通して採点する"
    ),
    "Ask every question of FILE (one JSON object per line: q, kind, gold, expect_any) as "
    "`kiji ask` would, and print the scores and the failures.": (
        "FILE の質問（1 行に 1 つの JSON オブジェクト：q、kind、gold、expect_any）をすべて "
        "`kiji ask` と同じように尋ね、スコアと失敗を表示します。"
    ),
    "question file (JSON lines)": "質問ファイル（JSON Lines）",
    "excerpts per answer, as in kiji ask (default 3)": "答えごとの抜粋の数（kiji ask と同じ。既定 3）",
    "list every question, not only failures": "失敗だけでなくすべての質問を表示する",
    # kiji run / sync / commands (bot/cli.py) and python -m bot (bot/__main__.py)
    "run the Discord bot (needs DISCORD_TOKEN)": "Discord ボットを動かす（DISCORD_TOKEN が必要）",
    "comma-separated shards this process runs (KIJI_SHARD_IDS)": (
        "このプロセスが受け持つシャード（コンマ区切り。KIJI_SHARD_IDS）"
    ),
    "total shards across processes (KIJI_SHARD_COUNT)": (
        "全プロセスを合わせたシャードの数（KIJI_SHARD_COUNT）"
    ),
    "publish the slash commands to Discord (never done automatically)": (
        "スラッシュコマンドを Discord に登録する（自動では行いません）"
    ),
    "one server, immediately (default: KIJI_DEV_GUILD_ID)": (
        "1 つのサーバーにすぐ登録する（既定：KIJI_DEV_GUILD_ID）"
    ),
    "every server (up to an hour)": "すべてのサーバーに登録する（最大 1 時間かかります）",
    "print the command payloads a sync would send (offline)": (
        "sync が送るコマンドの内容を表示する（オフライン）"
    ),
    "the exact JSON payloads": "送る JSON そのもの",
    "Run the kiji Discord bot.": "kiji の Discord ボットを動かします。",
    "kiji database file or postgresql:// URL (default: $KIJI_DB)": (
        "kiji のデータベースファイルか postgresql:// の URL（既定：$KIJI_DB）"
    ),
}
