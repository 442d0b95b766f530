"""The ``kiji`` command line's output: key → (ja, en).

Errors are printed as ``kiji: …`` on stderr; the part after ``kiji:`` is a message here, or the
text of a core error (:mod:`index.errors`). ``--help`` is in the same language
(index/cli/parser.py, index/messages/help.py).
"""

CLI: dict[str, tuple[str, str]] = {
    # every command
    "cli_error": ("kiji: {detail}", "kiji: {detail}"),
    "migrate_target_not_empty": (
        "{target} にはすでに記事のある索引があります。kiji migrate は空の索引にだけコピーします",
        "{target} already holds an index with articles; kiji migrate only copies into an empty one",
    ),
    "migrate_done": (
        "{source} → {target}：{rows} 行をコピーしました（{seconds:.1f} 秒）。kiji check に合格し、"
        "{queries} 件の質問で上位 {k} 件が元と一致しました",
        "{source} → {target}: {rows} rows copied in {seconds:.1f} s; kiji check passed and the top "
        "{k} hits of {queries} queries match the source",
    ),
    "migrate_failed": (
        "{source} → {target}：コピーしましたが検証に失敗しました：{problems}",
        "{source} → {target}: copied, but the verification failed: {problems}",
    ),
    "migrate_mismatch": (
        "{n} 件の質問で上位の結果が元と違います（例：{example}）",
        "the top hits differ from the source for {n} queries (e.g. {example})",
    ),
    "pg_not_yet": (
        "kiji {command} は PostgreSQL の索引（--db / KIJI_DB が postgresql:// の URL）ではまだ使えません。"
        "SQLite のファイルで実行してください（kiji migrate で移せます。README「Scaling out」を参照）",
        "kiji {command} is not available on PostgreSQL yet (--db / KIJI_DB is a postgresql:// "
        "URL); run it on a SQLite file (kiji migrate copies the index; see README 'Scaling out')",
    ),
    "cli_bad_argument": ("kiji: 引数 {name}：{problem}", "kiji: the {name} argument {problem}"),
    "input_line_not_utf8": (
        "{line} 行目は UTF-8 ではありません（{offset} バイト目が 0x{byte:02x}）",
        "line {line} is not valid UTF-8 (byte 0x{byte:02x} at offset {offset})",
    ),
    "input_line_problem": ("{line} 行目：{problem}", "line {line} {problem}"),
    "input_not_utf8": (
        "UTF-8 ではありません（{at} 文字目にバイト 0x{byte:02x}）",
        "is not valid UTF-8 (byte 0x{byte:02x} at character {at})",
    ),
    "input_lone_surrogate": (
        "対になっていないサロゲートがあります（{at} 文字目に U+{code:04X}）",
        "holds a lone surrogate (U+{code:04X} at character {at})",
    ),
    "cli_interrupted": ("kiji: 中断しました", "kiji: interrupted"),
    "cli_storage_failed": (
        "kiji: {command} に失敗しました：{problem}{where}。それまでにコミットした内容は残っています（-v でトレースバックを表示）",
        "kiji: {command} failed: {problem}{where}; what was committed before is kept "
        "(-v shows the traceback)",
    ),
    # argparse's own words (index/cli/parser.py); the help of each option: index/messages/help.py
    "argparse_usage": ("使い方: ", "usage: "),
    "argparse_positionals": ("引数", "positional arguments"),
    "argparse_options": ("オプション", "options"),
    "argparse_help": ("このヘルプを表示して終了する", "show this help message and exit"),
    "argparse_version": ("バージョンを表示して終了する", "show program's version number and exit"),
    "argparse_error": ("{prog}: エラー: {detail}", "{prog}: error: {detail}"),
    "argparse_required": (
        "次の引数が必要です：{names}",
        "the following arguments are required: {names}",
    ),
    "argparse_unrecognized": ("わからない引数です：{args}", "unrecognized arguments: {args}"),
    "argparse_choice": (
        "引数 {name}：{value} は選べません（{choices} から選んでください）",
        "argument {name}: invalid choice: {value} (choose from {choices})",
    ),
    "argparse_invalid": (
        "引数 {name}：値 {value} は使えません",
        "argument {name}: invalid value: {value}",
    ),
    "argparse_one_value": (
        "引数 {name}：値が一つ必要です",
        "argument {name}: expected one argument",
    ),
    "argparse_not_with": (
        "引数 {name} は {other} と一緒には使えません",
        "argument {name}: not allowed with argument {other}",
    ),
    "argparse_not_whole": (
        "引数 {name}：整数を指定してください（{value} でした）",
        "argument {name}: expected a whole number, got {value}",
    ),
    "argparse_below_1": (
        "引数 {name}：1 以上にしてください（{value} でした）",
        "argument {name}: must be at least 1 (got {value})",
    ),
    "argparse_not_datetime": (
        "引数 {name}：ISO 形式の日時ではありません（{value}）",
        "argument {name}: not an ISO date-time: {value}",
    ),
    "argparse_needs_timezone": (
        "引数 {name}：タイムゾーンを付けてください（例：{example}）",
        "argument {name}: --now needs a timezone, e.g. {example}",
    ),
    "argparse_not_date": (
        "引数 {name}：ISO 形式の日付ではありません：{value}（例：{example}）",
        "argument {name}: not an ISO date: {value} (e.g. {example})",
    ),
    "argparse_ambiguous": (
        "オプション {option} は一つに決められません（{matches} のどれにも当てはまります）",
        "ambiguous option: {option} could match {matches}",
    ),
    "argparse_at_least_one": (
        "引数 {name}：値が一つ以上必要です",
        "argument {name}: expected at least one argument",
    ),
    "argparse_at_most_one": (
        "引数 {name}：値は一つまでです",
        "argument {name}: expected at most one argument",
    ),
    "argparse_n_values": (
        "引数 {name}：値が {count} 個必要です",
        "argument {name}: expected {count} arguments",
    ),
    "argparse_ignored": (
        "引数 {name}：値 {value} は取りません",
        "argument {name}: ignored explicit argument {value}",
    ),
    "argparse_one_required": (
        "次の引数のどれかが必要です：{names}",
        "one of the arguments {names} is required",
    ),
    # kiji ingest
    "ingest_no_such_path": (
        "kiji: ファイルまたはディレクトリがありません：{paths}",
        "kiji: no such file or directory: {paths}",
    ),
    "ingest_bad_options": (
        "kiji: --batch-size は1以上、--nice は0から19の範囲で指定してください",
        "kiji: --batch-size must be at least 1, and --nice between 0 and 19",
    ),
    "ingest_skipped": ("スキップ  {where}: {reason}", "skipped  {where}: {reason}"),
    "skip_fifo": ("名前付きパイプ（FIFO）", "a named pipe (FIFO)"),
    "skip_socket": ("ソケット", "a socket"),
    "skip_device": ("デバイス", "a device"),
    "skip_special": ("通常のファイルではありません", "not a regular file"),
    "skip_documentation": (
        "記事ではなく説明書きのファイルです（取り込むにはファイル名を指定してください）",
        "a documentation file, not an article (name it explicitly to ingest it)",
    ),
    "ingest_more_skipped": ("… ほかに {n} 件をスキップ", "… and {n} more skipped"),
    "ingest_rejected": ("除外  {where}: {reason}", "rejected  {where}: {reason}"),
    "ingest_more_rejected": ("… ほかに {n:,} 件を除外", "… and {n:,} more rejections"),
    "ingest_summary": (
        "追加 {added} / 更新 {updated} / 変更なし {unchanged} / 除外 {rejected} — {passages:,} 段落、{throughput}",
        "added {added} / updated {updated} / unchanged {unchanged} / rejected {rejected} — "
        "{passages:,} passages, {throughput}",
    ),
    "ingest_throughput": ("{chars:,} 文字、{seconds:.1f} 秒", "{chars:,} chars in {seconds:.1f} s"),
    "ingest_rate": ("（{rate:.2f} M 文字/秒）", " ({rate:.2f} M chars/s)"),
    "ingest_progress": ("取り込み中", "Ingesting"),
    "ingest_progress_counts": (
        "{n:,} 件（{rate:,.0f} 件/秒）追加 {added:,} / 更新 {updated:,} / 変更なし {unchanged:,} / 除外 {rejected:,}",
        "{n:,} articles ({rate:,.0f}/s) added {added:,} / updated {updated:,} / "
        "unchanged {unchanged:,} / rejected {rejected:,}",
    ),
    # kiji search
    "cli_search_no_hits": (
        "該当する段落はありません（{ms:.1f} ms）",
        "no passages match ({ms:.1f} ms)",
    ),
    "cli_search_no_date": ("日付なし", "no date"),
    "cli_search_footer": ("（{n} 件、{ms:.1f} ms）", "({n} hits, {ms:.1f} ms)"),
    # kiji stats
    "cli_stats_database": ("データベース {path}", "database   {path}"),
    "cli_stats_articles": (
        "記事         {articles:,}（ほかにスタブ {stubs:,}）",
        "articles   {articles:,} (+ {stubs:,} stubs)",
    ),
    "cli_stats_passages": ("段落         {n:,}", "passages   {n:,}"),
    "cli_stats_terms": ("語           {n:,}", "terms      {n:,}"),
    "cli_stats_segments": ("セグメント   {n:,}", "segments   {n:,}"),
    "cli_stats_size": ("サイズ       {mb:,.1f} MB", "size       {mb:,.1f} MB"),
    "cli_stats_schema": ("スキーマ     v{version}", "schema     v{version}"),
    "cli_stats_helpful_none": (
        "役に立った   直近7日間の評価はありません",
        "helpful    no votes in the last 7 days",
    ),
    "cli_stats_helpful": (
        "役に立った   {rate:.0%}（👍 {up} / 👎 {down}、直近7日間）",
        "helpful    {rate:.0%} ({up} 👍 / {down} 👎, last 7 days)",
    ),
    # kiji optimize / delete
    "optimize_backfilled": (
        "{n:,} 段落の融合用ポスティングを追加しました",
        "added the fusion postings of {n:,} passages",
    ),
    "optimize_merged": (
        "{n:,} 語を {seconds:.2f} 秒でマージしました",
        "merged {n:,} terms in {seconds:.2f} s",
    ),
    "delete_done": ("削除しました：{id}", "deleted {id}"),
    "delete_missing": ("kiji: ID {id} の記事はありません", "kiji: no article with id {id}"),
    # kiji chat
    "chat_building_sample": (
        "データベース {db} がないため、{sample} のサンプル記事から作成します。",
        "There is no database at {db}: kiji builds one from the sample articles in {sample}.",
    ),
    "chat_sample_built": ("{n} 件の記事を取り込みました。", "Added {n} articles."),
    "chat_banner": (
        "kiji chat — {n} 件の記事について質問できます（回答のあとに + / - で役に立った・立たなかったを記録、Ctrl-D で終了）。",
        "kiji chat — ask about {n} articles (after an answer, + / - records whether it helped; "
        "Ctrl-D quits).",
    ),
    "chat_prompt": ("質問> ", "question> "),
    "chat_line_skipped": ("kiji: {problem}。この行は飛ばします", "kiji: {problem}; skipped"),
    "chat_nothing_to_vote": (
        "評価できる回答がまだありません（質問に答えたあとに + / - を入力します）。",
        "There is no answer to vote on yet (type + / - after an answer).",
    ),
    "chat_vote_same": ("{mark} はすでに記録されています。", "{mark} is already recorded."),
    "chat_vote_changed": ("評価を {mark} に変更しました。", "Your vote is now {mark}."),
    "chat_vote_new": (
        "{mark} を記録しました。ありがとうございます。",
        "{mark} recorded. Thank you.",
    ),
    # kiji digest
    "digest_bad_tz": (
        "kiji digest: タイムゾーン {tz!r} が分かりません。Asia/Tokyo のような IANA の名前を指定してください",
        "kiji digest: unknown time zone {tz!r}; use an IANA name such as Asia/Tokyo",
    ),
    "digest_bad_date": (
        "kiji digest: 日付 {date!r} が読めません。YYYY-MM-DD 形式で指定してください（例：2026-11-13）",
        "kiji digest: invalid date {date!r}; expected YYYY-MM-DD, e.g. 2026-11-13",
    ),
    "digest_bad_max": (
        "kiji digest: --max は1以上を指定してください",
        "kiji digest: --max must be at least 1",
    ),
    "digest_error": ("kiji digest: {detail}", "kiji digest: {detail}"),
    # kiji feeds
    "cli_feeds_subscribed": ("購読を追加しました：{url}", "subscribed: {url}"),
    "cli_feeds_next_poll": (
        "次の `kiji feeds poll` で取得します。",
        "It is fetched on the next `kiji feeds poll`.",
    ),
    "cli_feeds_unsubscribed": (
        "購読を解除しました：{url}（取り込み済みの記事は残ります）",
        "unsubscribed: {url} (its articles stay indexed)",
    ),
    "cli_feeds_none": (
        "購読中のフィードはありません（`kiji feeds add URL` で追加できます）。",
        "no feeds yet; add one with `kiji feeds add URL`.",
    ),
    "cli_feeds_none_to_poll": ("購読中のフィードはありません。", "There are no feeds to poll."),
    "cli_feeds_state_ok": ("正常", "OK"),
    "cli_feeds_state_error": ("エラー ×{n}", "error ×{n}"),
    "cli_feeds_title": ("  タイトル      {title}", "  title         {title}"),
    "cli_feeds_last_ok": ("  最終成功      {when}", "  last success  {when}"),
    "cli_feeds_next": ("  次回          {when}", "  next poll     {when}"),
    "cli_feeds_ingested": (
        "  取り込み      {n}（確認 {seen}）",
        "  ingested      {n} (seen {seen})",
    ),
    "cli_feeds_last_error": ("  最後のエラー  {error}", "  last error    {error}"),
    "cli_feeds_poll_error": (
        "{url}: エラー：{error}（次回 {when}）",
        "{url}: error: {error} (next try {when})",
    ),
    "cli_feeds_poll_not_due": (
        "{url}: まだ取得の時刻ではありません（{when} 以降。すぐ取得するには --force）",
        "{url}: not due until {when} (use --force)",
    ),
    "cli_feeds_poll_not_modified": ("{url}: 更新なし", "{url}: not modified"),
    "cli_feeds_poll_done": (
        "{url}: 新規 {new} / 更新 {updated} / 変更なし {unchanged} / 除外 {rejected}",
        "{url}: new {new} / updated {updated} / unchanged {unchanged} / rejected {rejected}",
    ),
    "cli_feeds_poll_deferred": ("、保留 {n}", ", {n} deferred"),
    # kiji eval
    "eval_no_questions": ("kiji: {file}: 質問がありません", "kiji: {file}: no questions"),
    "eval_overall": ("質問 {n} 件  総合 {overall:.3f}", "questions: {n}  overall: {overall:.3f}"),
    "eval_answerable": (
        "答えのある質問：{right}/{n} 件で抜粋に答えあり（{top_k:.3f}）、抜粋1に答え {first:.3f}、"
        "正解の記事を引用 {cited:.3f}、誤って「見つからない」 {false_not_found} 件",
        "answerable: {right}/{n} with the answer in the excerpts ({top_k:.3f}); in excerpt 1: "
        "{first:.3f}; gold article cited: {cited:.3f}; wrongly not found: {false_not_found}",
    ),
    "eval_unanswerable": (
        "答えのない質問：{right}/{n} 件で「見つからない」",
        "unanswerable: {right}/{n} not found",
    ),
    "eval_time": (
        "質問あたりの時間：p50 {p50:.1f} ms、p99 {p99:.1f} ms",
        "time per question: p50 {p50:.1f} ms, p99 {p99:.1f} ms",
    ),
    "eval_by_type": ("答えの種類別：{types}", "by answer type: {types}"),
    "eval_all": ("すべての質問：", "all questions:"),
    "eval_failures": ("失敗した質問：", "failures:"),
    "eval_question": ("{mark} {line} 行目 [{kind}] {q}", "{mark} line {line} [{kind}] {q}"),
    "eval_expected": ("     期待：{gold} に {expect}", "     expected: {expect} in {gold}"),
    "eval_any_article": ("いずれかの記事", "any"),
    "eval_got": ("     結果：{status}", "     got: {status}"),
    # kiji run / sync (bot/__main__.py)
    "run_token_rejected": (
        "Discord が DISCORD_TOKEN を拒否しました（401）。アプリケーションの Bot ページでトークンをリセットし、新しいものを設定してください",
        "Discord rejected DISCORD_TOKEN (401): reset the token on the Bot page of your "
        "application and set the new one",
    ),
    "run_intents_refused": (
        "Discord がゲートウェイのインテントを拒否しました。kiji に特権インテントは不要です",
        "Discord refused the gateway intents; kiji needs none privileged",
    ),
    "sync_where_guild": ("サーバー {guild}（すぐに反映）", "guild {guild} (immediate)"),
    "sync_where_global": (
        "全体（クライアントに反映されるまで最大1時間）",
        "globally (clients may take up to an hour to see changes)",
    ),
    "sync_done": (
        "{n} 個のコマンドを{where}に登録しました：{names}",
        "synced {n} commands {where}: {names}",
    ),
    "sync_refused": (
        "Discord が同期を拒否しました：{status} {text}",
        "Discord refused the sync: {status} {text}",
    ),
    # kiji feedback export
    "feedback_cannot_write": (
        "kiji: {path} に書き込めません：{error}",
        "kiji: cannot write {path}: {error}",
    ),
    "feedback_exported": (
        "評価された回答 {answers} 件から質問 {n} 件（👍 {up}、👎 {down}）を書き出しました{where}",
        "exported {n} questions ({up} 👍, {down} 👎) from {answers} voted answers{where}",
    ),
    "feedback_exported_to": ("（{path}）", " to {path}"),
}
