"""Opening and guarding the databases, the metrics endpoint and question files: key → (ja, en).

The core's errors (:meth:`index.errors.NewsIndexError.keyed`) about schema versions
(``SchemaTooNew``, index/store/migrations.py, bot/state), the restore lock (index/store/dblock.py),
PostgreSQL (index/store/pg/, bot/state/pg.py), the metrics server (index/ops/metrics_server.py)
and ``kiji eval``'s question file (index/answer/evaluate.py). The English text is also the
error's ``str()``, for logs.
"""

STORE: dict[str, tuple[str, str]] = {
    # a database written by a newer kiji (SchemaTooNew)
    "schema_index_too_new": (
        "このデータベースのスキーマはバージョン {found} で、この kiji（{latest}）より新しいものです。"
        "kiji を更新する（pip install -U kiji）か、このバージョンで作ったバックアップを使ってください",
        "this database has schema version {found}, newer than this kiji ({latest}); "
        "upgrade kiji (pip install -U kiji) or use a backup made by this version",
    ),
    "schema_feedback_too_new": (
        "このデータベースのフィードバックの表はバージョン {found} で、この kiji が知っているのは {latest} までです。"
        "kiji を更新してください",
        "the feedback tables in this database are version {found}, this kiji knows {latest}; "
        "upgrade kiji",
    ),
    "schema_settings_too_new": (
        "このデータベースのボットの設定はバージョン {found} で、この kiji が知っているのは {latest} までです。"
        "kiji を更新してください",
        "the bot settings in this database are version {found}, this kiji knows {latest}; "
        "upgrade kiji",
    ),
    "schema_digest_too_new": (
        "ダイジェストの表はバージョン {found} で、この kiji（{latest}）より新しいものです。"
        "このデータベースでボットを動かす前に kiji を更新してください",
        "the digest tables have version {found}, newer than this kiji ({latest}); "
        "upgrade kiji before running the bot on this database",
    ),
    "schema_pg_settings_too_new": (
        "PostgreSQL のボットの設定はバージョン {found} で、この kiji が知っているのは {latest} までです。"
        "kiji を更新してください",
        "the bot settings on PostgreSQL are version {found}, this kiji knows {latest}; "
        "upgrade kiji",
    ),
    "schema_pg_digest_too_new": (
        "PostgreSQL のダイジェストの表はバージョン {found} で、この kiji（{latest}）より新しいものです。"
        "このデータベースでボットを動かす前に kiji を更新してください",
        "the digest tables on PostgreSQL have version {found}, newer than this kiji ({latest}); "
        "upgrade kiji before running the bot on this database",
    ),
    "schema_pg_too_new": (
        "このデータベースのスキーマはバージョン {found} で、この kiji（{latest}）より新しいものです。"
        "kiji を更新してください（pip install -U kiji）",
        "this database has schema version {found}, newer than this kiji ({latest}); "
        "upgrade kiji (pip install -U kiji)",
    ),
    "db_unreadable_sqlite": (
        "このファイルは読める SQLite のデータベースではありません（{error}）",
        "the file is not a readable SQLite database ({error})",
    ),
    # the restore lock (index/store/dblock.py)
    "restore_in_progress": (
        "{db} はほかのプロセスが復元しているところです。少し待ってからもう一度試してください",
        "{db} is being restored by another process; try again in a moment",
    ),
    "restore_open_here": (
        "{db} はこのプロセス（pid {pid}）で開いています。閉じてから復元してください",
        "{db} is open in this process (pid {pid}); close it before restoring",
    ),
    "restore_db_busy": (
        "{db} は使用中です（{users}）。先に止めてから（例：systemctl stop kiji）復元してください",
        "{db} is in use by {users}; stop it first (e.g. systemctl stop kiji), then restore",
    ),
    "restore_another_process": ("ほかのプロセス", "another process"),
    # PostgreSQL (index/store/pg/, bot/state/pg.py)
    "pg_connect_failed": (
        "PostgreSQL（{where}、{setting}）に接続できません：{error}",
        "cannot connect to PostgreSQL at {where} ({setting}): {error}",
    ),
    "pg_no_index": (
        "この PostgreSQL のデータベースには kiji の索引がありません（`kiji ingest` で作れます）",
        "no kiji index in this PostgreSQL database (run `kiji ingest` to create one)",
    ),
    "pg_schema_needs_migration": (
        "PostgreSQL のインデックスはスキーマ v{found} です。v{latest} への移行には書き込みが必要です："
        "主サーバーに書き込める接続で kiji を一度実行してください（例：`kiji stats --db URL`）",
        "the index on PostgreSQL has schema v{found}; moving it to v{latest} needs to write: run kiji "
        "once on a connection that can write to the primary (for example `kiji stats --db URL`)",
    ),
    "pg_schema_unmigratable": (
        "PostgreSQL のスキーマのバージョン {found} は、この kiji では移行できません",
        "schema version {found} on PostgreSQL cannot be migrated by this kiji",
    ),
    # the metrics endpoint (index/ops/metrics_server.py)
    "metrics_not_loopback": (
        "{host} ではメトリクスを公開しません：ループバックのアドレスではありません。"
        "127.0.0.1 とリバースプロキシを使うか、本当に必要なら allow_remote=True を渡してください",
        "refusing to serve metrics on {host}: not a loopback address. Use 127.0.0.1 and a "
        "reverse proxy, or pass allow_remote=True if you really mean it",
    ),
    "metrics_port_range": (
        "メトリクスのポート {port} は範囲外です（0〜65535）",
        "metrics port {port} is out of range (0-65535)",
    ),
    "metrics_bind_failed": (
        "{host}:{port} でメトリクスを公開できません（{error}）。KIJI_METRICS_PORT にほかのポートを指定してください",
        "cannot serve metrics on {host}:{port} ({error}); choose another KIJI_METRICS_PORT",
    ),
    # kiji eval's question file (index/answer/evaluate.py)
    "eval_unreadable": ("{path} を読めません：{error}", "cannot read {path}: {error}"),
    "eval_not_utf8": (
        "{path}: UTF-8 ではありません（{byte} バイト目）",
        "{path}: not UTF-8 (byte {byte})",
    ),
    "eval_not_json": ("{where}: JSON ではありません（{error}）", "{where}: not JSON ({error})"),
    "eval_no_question": (
        '{where}: 各行に "q"（質問の文字列）が必要です',
        '{where}: each line needs a "q" string',
    ),
    "eval_bad_expect": (
        '{where}: "expect_any" は文字列のリストにしてください',
        '{where}: "expect_any" must be a list of strings',
    ),
}
