"""Feeds, backups, restores, checks and the doctor: key → (ja, en).

Also the core's errors about them (:meth:`index.errors.NewsIndexError.keyed`), which the
command line and the bot both show.
"""

OPS: dict[str, tuple[str, str]] = {
    # feed subscriptions (index/ingest/feeds.py, fetch.py: FeedError, in the CLI and the bot)
    "feed_already_subscribed": ("すでに購読しています：{url}", "already subscribed: {url}"),
    "feed_not_subscribed": (
        "購読していません：{url}（`kiji feeds list` で確認できます）",
        "not subscribed: {url} (see `kiji feeds list`)",
    ),
    "feed_not_subscribed_poll": (
        "購読していません：{url}（`kiji feeds add` で追加できます）",
        "not subscribed: {url} (add it with `kiji feeds add`)",
    ),
    "feed_private_hint": (
        "{setting}=1 にすると、プライベートやループバックのアドレスのフィードも使えます",
        "set {setting}=1 to allow feeds on private or loopback addresses",
    ),
    "feed_private_refused": (
        "{url} は使えません：{host} はプライベート、ループバック、またはリンクローカルのアドレスです"
        "（取得できるのは公開アドレスだけです。{setting}=1 にすると、プライベートやループバックのアドレスのフィードも使えます）",
        "refusing {url}: {host} is a private, loopback or link-local address (only public "
        "addresses can be fetched; set {setting}=1 to allow feeds on private or loopback "
        "addresses)",
    ),
    "fetch_unresolved": (
        "ホスト {host!r} の名前を解決できません：{error}",
        "cannot resolve host {host!r}: {error}",
    ),
    "fetch_private_address": (
        "{host}（{ip}）には接続しません：プライベート、ループバック、またはリンクローカルのアドレスです（取得できるのは公開アドレスだけです。{hint}）",
        "refusing to connect to {host} ({ip}): a private, loopback or link-local address "
        "(only public addresses can be fetched; {hint})",
    ),
    "fetch_failed": ("{url}: 取得できません（{error}）", "{url}: cannot fetch ({error})"),
    "fetch_deadline": (
        "{url}: 時間切れです（取得全体にかけられるのは {seconds:g} 秒。{setting} で変えられます）",
        "{url}: timed out (the whole fetch may take {seconds:g} s; {setting} sets it)",
    ),
    "fetch_timeout": (
        "{url}: {seconds:g} 秒で時間切れになりました",
        "{url}: timed out after {seconds:g} s",
    ),
    "fetch_http": ("{url}: HTTP エラー {code}（{reason}）", "{url}: HTTP {code} {reason}"),
    "fetch_too_large_declared": (
        "{url}: 応答が {n:,} バイトあります。上限は {limit:,} バイトです",
        "{url}: response is {n:,} bytes; the limit is {limit:,}",
    ),
    "fetch_too_large": (
        "{url}: 応答が上限の {limit:,} バイトを超えています",
        "{url}: response is larger than {limit:,} bytes",
    ),
    "url_empty": ("URL が空です", "the URL is empty"),
    "url_too_long": ("URL が {n} 文字を超えています", "the URL is longer than {n} characters"),
    "url_invalid": (
        "正しい URL ではありません：{url}（{problem}）",
        "not a valid URL: {url} ({problem})",
    ),
    "url_scheme": (
        "取得できるのは http:// と https:// の URL だけです（{scheme} は使えません：{url}）",
        "only http:// and https:// URLs can be fetched, not {scheme} ({url})",
    ),
    "url_no_scheme": (
        "取得できるのは http:// と https:// の URL だけです（スキームがありません：{url}）",
        "only http:// and https:// URLs can be fetched, not no scheme ({url})",
    ),
    "url_no_host": ("URL にホスト名がありません：{url}", "the URL has no host name: {url}"),
    "url_spaces": ("URL に空白が含まれています：{url}", "the URL contains spaces: {url}"),
    # kiji backup / restore (index/ops/ops.py: DatabaseError)
    "storage_full": (
        "デバイスの空き容量がありません（database or disk is full）",
        "no space left on the device (database or disk is full)",
    ),
    "storage_too_large": (
        "ファイルがこのプロセスの書き込める大きさを超えました（file too large）",
        "the file grew past the size this process may write (file too large)",
    ),
    "backup_no_directory": (
        "バックアップは書き出していません：ディレクトリ {dir} がありません",
        "the backup was not written: no directory {dir}",
    ),
    "backup_failed_check": (
        "バックアップが検査に通りませんでした（{result}）。元のデータベースが壊れているかもしれません",
        "the backup failed its check ({result}); the source may be damaged",
    ),
    "backup_no_space": (
        "デバイスの空き容量が足りません（空き {free:,} KB、バックアップには約 {needed:,} KB 必要）",
        "no space left on the device ({free:,} KB free, the backup needs about {needed:,} KB)",
    ),
    "backup_not_written": (
        "バックアップを {dest} に書き出せませんでした：{reason}。書きかけのファイルは削除しました",
        "the backup was not written to {dest}: {reason}; the partial file was removed",
    ),
    "file_missing": ("{path} がありません", "{path} does not exist"),
    "file_unreadable": ("{path} を読めません（{error}）", "{path} cannot be read ({error})"),
    "file_is_directory": (
        "{path} はディレクトリです。バックアップのファイルそのもの（kiji-YYYYmmdd-HHMMSS.db）を指定してください",
        "{path} is a directory; give the backup file itself (kiji-YYYYmmdd-HHMMSS.db)",
    ),
    "file_not_regular": ("{path} は通常のファイルではありません", "{path} is not a regular file"),
    "file_not_sqlite": (
        "{path} は SQLite のデータベースではありません",
        "{path} is not a SQLite database",
    ),
    "restore_unusable": (
        "バックアップは復元していません：{problem}",
        "the backup was not restored: {problem}",
    ),
    "restore_copy_failed": (
        "バックアップは復元していません：{db} の隣へのコピーに失敗しました：{problem}。データベースは変わっていません",
        "the backup was not restored: copying it beside {db} failed: {problem}; the database "
        "is unchanged",
    ),
    "restore_failed_checks": (
        "バックアップは検査に通らなかったため、復元していません：{problems}",
        "the backup was not restored, it failed the checks: {problems}",
    ),
    # kiji check
    "backup_no_db": (
        "kiji: {db} にデータベースがないため、バックアップできません",
        "kiji: no database at {db} to back up",
    ),
    "backup_written": (
        "バックアップを書き出しました：{dest}（{mb:,.1f} MB、{seconds:.1f} 秒、検証済み）",
        "backup written: {dest} ({mb:,.1f} MB, {seconds:.1f} s, verified)",
    ),
    "restore_confirm": (
        "{db} を {backup} で置き換えます。よろしいですか? [y/N] ",
        "Replace {db} with {backup}? [y/N] ",
    ),
    "restore_aborted": ("中止しました。", "Aborted."),
    "restore_in_use": ("kiji: 復元しませんでした：{detail}", "kiji: not restored: {detail}"),
    "restore_done": (
        "{backup} → {db} に復元しました（検証済み：{facts}）",
        "restored {backup} → {db} (verified: {facts})",
    ),
    "fact_schema_version": ("スキーマ", "schema_version"),
    "fact_articles": ("記事", "articles"),
    "fact_passages": ("段落", "passages"),
    "fact_terms": ("語", "terms"),
    "fact_sampled_passages": ("照合した段落", "sampled_passages"),
    "fact_fusion": ("融合", "fusion"),
    "check_ok": (
        "OK: 整合性チェックに合格し、ポスティングは段落と一致しています",
        "OK: integrity check passed and the postings agree with the passages",
    ),
    "check_problem": ("問題: {problem}", "PROBLEM: {problem}"),
    "check_hint": (
        "→ バックアップを復元する（`kiji restore FILE`）か、新しいデータベースに取り込み直してください",
        "→ restore a backup (`kiji restore FILE`) or re-ingest your sources into a new database",
    ),
    # what kiji check finds (index/ops/ops.py: CheckReport, index/store/schema.py)
    "check_unreadable": ("{path} を読めません：{error}", "{path} cannot be read: {error}"),
    "check_integrity": (
        "整合性チェックに失敗しました：{result}",
        "integrity check failed: {result}",
    ),
    "check_not_kiji": (
        "{path} は SQLite のファイルですが、kiji のデータベースではありません",
        "{path} is a SQLite file but not a kiji database",
    ),
    "check_schema_newer": (
        "スキーマのバージョン {version} はこの kiji（{current}）より新しいものです",
        "schema version {version} is newer than this kiji ({current})",
    ),
    "check_error": ("{error}", "{error}"),
    "check_passage_count": (
        "段落の数が meta では {meta}、passages では {actual} です",
        "passage count {meta} in meta, {actual} in passages",
    ),
    "check_total_length": (
        "総文書長が meta では {meta}、passages では {actual} です",
        "total length {meta} in meta, {actual} in passages",
    ),
    "check_signal_length": (
        "{name} の長さが meta では {meta}、passages では {actual} です",
        "{name} length {meta} in meta, {actual} in passages",
    ),
    "check_term_df": (
        "語 {term!r}：文書頻度は {df} ですが、有効なポスティングは {live} 件です",
        "term {term!r}: df {df} but {live} live postings",
    ),
    "check_terms_df_total": (
        "… 文書頻度の誤った語が全部で {n} 語あります",
        "… {n} terms in all with a wrong document frequency",
    ),
    "check_unknown_postings": (
        "{n} 件のポスティングが存在しない段落を指しています",
        "{n} postings name passages that do not exist",
    ),
    "check_segment_bytes": (
        "セグメント {segment} のバイト数が meta では {meta}、postings では {actual} です",
        "segment {segment} holds {actual} bytes of passage ids, {meta} by meta",
    ),
    "check_sample_mismatch": (
        "照合した {sampled} 段落のうち {n} 段落がポスティングと一致しません",
        "{n} of {sampled} sampled passages disagree with their postings",
    ),
    "fact_fusion_missing": (
        "古い段落にはありません：`kiji optimize` を実行してください",
        "missing for older passages: run `kiji optimize`",
    ),
    "schema_table_missing": ("テーブル {table} がありません", "table {table} is missing"),
    "schema_table_types": (
        "テーブル {table} の列の型かキーが kiji のものと違います",
        "table {table} has other column types or keys than kiji's",
    ),
    "schema_table_columns": (
        "テーブル {table} の列は（{names}）ですが、kiji が期待するのは（{want}）です",
        "table {table} has columns ({names}), kiji expects ({want})",
    ),
    "db_not_opened_readonly": (
        "{db} を読み取り専用で開けません（{error}）",
        "{db} cannot be opened read-only ({error})",
    ),
    "db_not_read": (
        "{db} を kiji のデータベースとして読めませんでした（{error}）",
        "{db} could not be read as a kiji database ({error})",
    ),
    # kiji doctor
    # kiji doctor's line tags (index/cli/ops.py)
    "doctor_level_ok": ("OK", "ok"),
    "doctor_level_warn": ("注意", "warn"),
    "doctor_level_fail": ("失敗", "FAIL"),
    "doctor_level_info": ("情報", "info"),
    "doctor_no_token": (
        "DISCORD_TOKEN が設定されていません：`kiji` はターミナルのチャットを開きます。ボットを動かすには .env に設定してください",
        "DISCORD_TOKEN is not set: `kiji` runs the terminal chat; set it in .env to run the bot",
    ),
    "doctor_bad_token": (
        "DISCORD_TOKEN がボットのトークンの形（ドットで区切った3つの部分）をしていません。Developer Portal → Bot → Reset Token からコピーし直してください",
        "DISCORD_TOKEN does not look like a bot token (three dot-separated parts); "
        "copy it again from the Developer Portal → Bot → Reset Token",
    ),
    "doctor_token_ok": (
        "DISCORD_TOKEN はボットのトークンの形をしています（表示しません）",
        "DISCORD_TOKEN has the shape of a bot token (not shown)",
    ),
    "doctor_db_writable": (
        "データベースのパス {db} は書き込めます",
        "database path {db} is writable",
    ),
    "doctor_db_not_writable": (
        "データベースのパス {db} に書き込めません",
        "database path {db} is NOT writable",
    ),
    "doctor_sudachi_ok": (
        "Sudachi の辞書（sudachidict-core）を読み込めます",
        "Sudachi dictionary (sudachidict-core) loads",
    ),
    "doctor_sudachi_fail": (
        "Sudachi の辞書を読み込めません（{error}）。`pip install -e .` をもう一度実行してください",
        "the Sudachi dictionary does not load ({error}); run `pip install -e .` again",
    ),
    "doctor_kernels_ok": (
        "検索と取り込みの内側のループは C でコンパイル済みです",
        "the inner loops of search and ingest are compiled (C)",
    ),
    "doctor_kernels_numpy": (
        "{which}の内側のループが C でコンパイルされていないため、Python と numpy で動いています"
        "（結果は同じで、遅くなります）。C コンパイラ（gcc など）を入れて `pip install -e .` を"
        "もう一度実行すると速くなります",
        "the inner loops of {which} run in Python and numpy: their C extension was not built "
        "(the same results, slower); install a C compiler (gcc) and run `pip install -e .` again",
    ),
    "doctor_schema_problems": (
        "データベースのスキーマ：{problems}",
        "database schema: {problems}",
    ),
    "doctor_schema_old": (
        "データベースのスキーマ v{version}：このkiji（v{current}）が次に読み書きで開くとき（kiji run、kiji ingest）に移行します。先にバックアップしてください",
        "database schema v{version}: this kiji (v{current}) migrates it the next time it "
        "opens it read-write (kiji run, kiji ingest); back it up first",
    ),
    "doctor_schema_new": (
        "データベースのスキーマ v{version} はこのkiji（v{current}）より新しいため、kijiを更新してください",
        "database schema v{version} is newer than this kiji (v{current}): upgrade kiji",
    ),
    "doctor_schema_ok": (
        "データベースのスキーマ v{version}（このkiji：v{current}）、記事 {articles:,} 件、段落 {passages:,}",
        "database schema v{version} (this kiji: v{current}), {articles:,} articles, "
        "{passages:,} passages",
    ),
    "doctor_no_articles": (
        "データベースに記事がありません：`kiji ingest data/articles` か `kiji feeds add URL` で追加してください",
        "the database holds no articles: `kiji ingest data/articles` or `kiji feeds add URL`",
    ),
    "doctor_db_error": ("データベース：{error}", "database: {error}"),
    "doctor_no_db": (
        "{db} にはまだデータベースがありません：最初の `kiji chat` で data/articles から作られるか、`kiji ingest PATH` で作られます",
        "no database at {db} yet: it is created from data/articles on first `kiji chat`, "
        "or by `kiji ingest PATH`",
    ),
    "doctor_permissions": (
        "確認していません（Discordへの接続が必要です）：回答・ダイジェストのチャンネルでボットに次の権限を与えてください：{permissions}",
        "not checked (that needs a connection to Discord): give the bot these permissions in "
        "answer/digest channels: {permissions}",
    ),
    "doctor_scopes": (
        "OAuth2 のスコープ：bot applications.commands。特権インテントは不要です",
        "OAuth2 scopes: bot applications.commands; no privileged intents are needed",
    ),
}
