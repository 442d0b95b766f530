"""Messages of ``kiji backup``, ``restore`` and ``doctor`` on a PostgreSQL index
(:mod:`index.ops.pg_ops`): ``key → (ja, en)``."""

from __future__ import annotations

PG_OPS: dict[str, tuple[str, str]] = {
    "pg_unreachable": (
        "PostgreSQL（{where}）に接続できません：{error}。サーバーが動いているか、URL の"
        "ホスト・ポート・ユーザー・データベース名が正しいかを確認してください",
        "cannot connect to PostgreSQL at {where}: {error}; check that the server is running "
        "and the URL's host, port, user and database name",
    ),
    "pg_tool_missing": (
        "{tool} が PATH にありません。PostgreSQL のクライアント（Debian/Ubuntu では "
        "postgresql-client）を入れてください",
        "{tool} is not on PATH; install the PostgreSQL client programs (postgresql-client on "
        "Debian/Ubuntu)",
    ),
    "pg_tool_unusable": (
        "{tool} のバージョンを読めません（{error}）",
        "cannot tell the version of {tool} ({error})",
    ),
    "pg_tool_too_old": (
        "{tool}（{path}）はバージョン {version} で、サーバー（{server}）より古いため使えません。"
        "バージョン {server} 以上の PostgreSQL クライアントを入れるか、PATH の先頭に置いてください",
        "{tool} ({path}) is version {version}, older than the server ({server}); install "
        "PostgreSQL client programs of version {server} or newer, or put them first on PATH",
    ),
    "pg_backup_no_index": (
        "{where} には kiji の索引がないため、バックアップしませんでした（`kiji ingest` で作られます）",
        "no kiji index in {where} to back up (`kiji ingest` creates one)",
    ),
    "pg_backup_failed": (
        "バックアップを {dest} に書き出せませんでした：{error}。書きかけのファイルは削除しました",
        "the backup was not written to {dest}: {error}; the partial file was removed",
    ),
    "pg_backup_incomplete": (
        "バックアップ {dest} を読み直すと、次の表のデータがありませんでした：{tables}。"
        "書きかけのファイルは削除しました",
        "reading the backup {dest} back, these tables' rows were missing: {tables}; the partial "
        "file was removed",
    ),
    "pg_backup_written": (
        "バックアップを書き出しました：{dest}（{mb:,.1f} MB、{seconds:.1f} 秒、読み直して確認済み）",
        "backup written: {dest} ({mb:,.1f} MB, {seconds:.1f} s, read back and verified)",
    ),
    "pg_backup_contents": (
        "含まれるもの：索引の表 {n_index} 個（記事 {articles:,}、段落 {passages:,}）",
        "included: the index's {n_index} tables ({articles:,} articles, {passages:,} passages)",
    ),
    "pg_backup_state_included": (
        "ボットの状態の表 {n} 個も含まれます（KIJI_STATE_DB が同じデータベース）：{tables}",
        "also the bot's {n} state tables (KIJI_STATE_DB is this database): {tables}",
    ),
    "pg_backup_state_elsewhere": (
        "ボットの状態（KIJI_STATE_DB：{where}）は別のデータベースにあり、このバックアップには含まれません。"
        "pg_dump でバックアップしてください",
        "the bot's state (KIJI_STATE_DB: {where}) is in another database and not in this "
        "backup; back it up with pg_dump",
    ),
    "pg_archive_is_directory": (
        "{path} はディレクトリです。バックアップのファイルそのもの（kiji-YYYYmmdd-HHMMSS.dump）を指定してください",
        "{path} is a directory; give the backup file itself (kiji-YYYYmmdd-HHMMSS.dump)",
    ),
    "pg_archive_is_sqlite": (
        "{path} は SQLite のデータベースです。PostgreSQL へは `kiji migrate {path} URL` で移してください",
        "{path} is a SQLite database; copy it into PostgreSQL with `kiji migrate {path} URL`",
    ),
    "pg_archive_not_dump": (
        "{path} は pg_dump のカスタム形式（kiji backup が PostgreSQL で書くもの）ではありません",
        "{path} is not a pg_dump custom-format archive (what kiji backup writes on PostgreSQL)",
    ),
    "pg_archive_unreadable": (
        "{path} を pg_restore で読めません：{error}",
        "pg_restore cannot read {path}: {error}",
    ),
    "pg_archive_not_kiji": (
        "{path} には kiji の索引（meta 表）がありません",
        "{path} holds no kiji index (no meta table)",
    ),
    "pg_restore_not_empty": (
        "{where} は空ではありません（表 {n} 個：{tables}）。何もしていません。"
        "復元は空のデータベースにだけ行います：`createdb` で新しいデータベースを作り、--db でそれを指定してください",
        "{where} is not empty ({n} tables: {tables}); nothing was done. A restore goes into an "
        "empty database only: create a new one (`createdb`) and give it with --db",
    ),
    "pg_restore_failed": (
        "pg_restore が {where} への復元に失敗しました：{error}。1つのトランザクションで行ったため、"
        "データベースは空のままです",
        "pg_restore failed to restore into {where}: {error}; it ran as one transaction, so the "
        "database is still empty",
    ),
    "pg_restore_confirm": (
        "{backup} を空のデータベース {db} に復元します。よろしいですか? [y/N] ",
        "Restore {backup} into the empty database {db}? [y/N] ",
    ),
    # kiji doctor on PostgreSQL
    "doctor_pg_server": (
        "PostgreSQL {where} に接続できます（サーバー {version}、ユーザー {user}）",
        "PostgreSQL at {where} is reachable (server {version}, user {user})",
    ),
    "doctor_pg_server_old": (
        "PostgreSQL {where} のサーバー {version} は古すぎます（kiji は {minimum} 以上で動きます）",
        "PostgreSQL at {where} runs server {version}, too old (kiji needs {minimum} or newer)",
    ),
    "doctor_pg_no_index": (
        "{where} にはまだ kiji の索引がありません：最初の `kiji ingest --db URL PATH` か "
        "`kiji migrate FILE URL` で作られます",
        "no kiji index in {where} yet: the first `kiji ingest --db URL PATH` or "
        "`kiji migrate FILE URL` creates it",
    ),
    "doctor_pg_cannot_create": (
        "索引がまだなく、ユーザー {user} はデータベース {database} に表を作れません："
        "`GRANT CREATE ON SCHEMA public TO {user}` などで権限を与えてください",
        "there is no index yet and user {user} cannot create tables in database {database}: "
        "grant it (`GRANT CREATE ON SCHEMA public TO {user}`)",
    ),
    "doctor_pg_schema_old": (
        "索引のスキーマ v{version} はこのkiji（v{current}）より古く、PostgreSQL では移行できません："
        "以前の kiji で `kiji migrate URL FILE` で取り出し、このkijiで `kiji migrate FILE 新しいURL` してください",
        "index schema v{version} is older than this kiji's (v{current}) and cannot be migrated "
        "on PostgreSQL: copy it out with the older kiji (`kiji migrate URL FILE`), then in with "
        "this one (`kiji migrate FILE NEW_URL`)",
    ),
    "doctor_pg_not_writable": (
        "ユーザー {user} は次の表を読み書きできません：{tables}。"
        "`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {user}` などで権限を与えてください",
        "user {user} cannot read and write these tables: {tables}; grant it "
        "(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {user}`)",
    ),
    "doctor_pg_writable": (
        "ユーザー {user} は kiji の表 {n} 個を読み書きできます",
        "user {user} can read and write kiji's {n} tables",
    ),
    "doctor_pg_tool_ok": (
        "{tool} {version}（{path}）：kiji backup / restore に使えます",
        "{tool} {version} ({path}): kiji backup / restore can use it",
    ),
    "doctor_pg_state": (
        "KIJI_STATE_DB：PostgreSQL {where} に接続できます（ボットの状態の表 {total} 個のうち {n} 個あり、"
        "ないものは `kiji run` の起動時に作られます）",
        "KIJI_STATE_DB: PostgreSQL at {where} is reachable ({n} of the bot's {total} state tables "
        "there; `kiji run` creates the others when it starts)",
    ),
    "doctor_pg_state_error": ("KIJI_STATE_DB：{error}", "KIJI_STATE_DB: {error}"),
}
