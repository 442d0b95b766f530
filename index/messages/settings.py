"""Settings and database errors met when kiji starts: key → (ja, en).

``kiji run`` / ``sync`` / ``commands`` (bot/config.py: ConfigError) and every command that opens
the index (index/config.py, index/store/store.py) say them in the command line's language.
"""

SETTINGS: dict[str, tuple[str, str]] = {
    # bot/config.py
    "setting_no_token": (
        "DISCORD_TOKEN が設定されていません：https://discord.com/developers/applications でボットを作り、"
        "そのトークンを DISCORD_TOKEN に設定してください（環境変数か .env ファイル。.env.example を参照）。"
        "Discord なしでターミナルから質問するには `kiji chat` を使います。",
        "DISCORD_TOKEN is not set: create a bot at https://discord.com/developers/applications, "
        "copy its token into DISCORD_TOKEN (in the environment or a .env file; see .env.example), "
        "or use `kiji chat` to ask questions in the terminal without Discord.",
    ),
    "setting_token_prefix": (
        "DISCORD_TOKEN には「Bot 」を付けず、トークンだけを設定してください",
        'DISCORD_TOKEN must be the bare token, without the "Bot " prefix',
    ),
    "setting_token_shape": (
        "DISCORD_TOKEN がボットのトークンの形（ドットで区切った3つの部分）をしていません。"
        "アプリケーションの Bot ページからコピーし直してください（クライアントシークレットやアプリケーション ID ではありません）",
        "DISCORD_TOKEN does not look like a bot token (three dot-separated parts); copy it "
        "again from the Bot page of your application (not the client secret or application id)",
    ),
    "setting_log_level": (
        "KIJI_LOG_LEVEL={level!r} はログレベルではありません（DEBUG、INFO、WARNING、ERROR）",
        "KIJI_LOG_LEVEL={level!r} is not a log level (DEBUG, INFO, WARNING, ERROR)",
    ),
    "setting_shards_need_count": (
        "KIJI_SHARD_IDS には KIJI_SHARD_COUNT（シャードの総数）も必要です",
        "KIJI_SHARD_IDS needs KIJI_SHARD_COUNT (the total number of shards)",
    ),
    "setting_shard_ids_range": (
        "KIJI_SHARD_IDS の {bad} は KIJI_SHARD_COUNT={count} の範囲外です（ID は 0 から {last}）",
        "KIJI_SHARD_IDS {bad} out of range for KIJI_SHARD_COUNT={count} (ids go from 0 to {last})",
    ),
    "setting_shard_count": (
        "KIJI_SHARD_COUNT は1以上にしてください",
        "KIJI_SHARD_COUNT must be at least 1",
    ),
    "setting_metrics_port": (
        "KIJI_METRICS_PORT={port} はポート番号（1〜65535）にしてください",
        "KIJI_METRICS_PORT={port} must be a port (1-65535)",
    ),
    "setting_log_format": (
        "KIJI_LOG_FORMAT={value!r} は text か json にしてください",
        "KIJI_LOG_FORMAT={value!r} must be text or json",
    ),
    "setting_db": ("KIJI_DB：{problem}", "KIJI_DB: {problem}"),
    "setting_state_db": (
        "KIJI_STATE_DB には postgresql://user@host:port/db の形の URL を指定します"
        "（ボットの状態を KIJI_DB のファイルに置くなら設定しないでください）",
        "KIJI_STATE_DB takes a postgresql://user@host:port/db URL "
        "(leave it unset to keep the bot's state in the KIJI_DB file)",
    ),
    "setting_not_number": (
        "{name}={value!r} は数ではありません",
        "{name}={value!r} is not a number",
    ),
    "setting_not_numbers": (
        "{name}={value!r} はコンマで区切った数にしてください",
        "{name}={value!r} must be numbers separated by commas",
    ),
    # index/config.py: --db / KIJI_DB
    "db_postgres_url": (
        "ここでは SQLite のデータベースファイルが必要です（{scheme}:// の URL は使えません）",
        "a SQLite database file is needed here, not a {scheme}:// URL",
    ),
    "db_read_url": (
        "KIJI_DB_READ には読み取り用レプリカの postgresql://user@host:port/db の形の URL を指定します"
        "（使わないなら設定しないでください）",
        "KIJI_DB_READ takes the postgresql://user@host:port/db URL of a read replica "
        "(leave it unset to read from KIJI_DB)",
    ),
    "db_read_needs_pg": (
        "KIJI_DB_READ（読み取り用レプリカ）は KIJI_DB が postgresql:// の URL のときだけ使えます。"
        "README の「Scaling out」を参照",
        "KIJI_DB_READ (a read replica) needs KIJI_DB to be a postgresql:// URL too; "
        "see README 'Scaling out'",
    ),
    "db_url": (
        "kiji は {scheme}:// のデータベースを開けません：--db / KIJI_DB には SQLite のファイルパスか postgresql:// の URL を指定してください",
        "kiji cannot open a {scheme}:// database: give --db / KIJI_DB a SQLite file path "
        "or a postgresql:// URL",
    ),
    # index/store/store.py: opening the index
    "db_missing": (
        "{path} にデータベースがありません（`kiji ingest` で作れます）",
        "no database at {path} (run `kiji ingest` to create one)",
    ),
    "db_schema_other": (
        "{path} のスキーマのバージョンは {version} で、{expected} ではありません。一度読み書きできるように開いて移行してください",
        "{path} has schema version {version}, expected {expected}; "
        "open it once read-write to migrate",
    ),
    "db_not_sqlite": (
        "{path} は SQLite のデータベースではありません（ヘッダーが違います）。"
        "--db / KIJI_DB を kiji のデータベースに向けるか、バックアップを復元してください",
        "{path} is not a SQLite database (wrong header); "
        "point --db / KIJI_DB at a kiji database or restore a backup",
    ),
    "db_not_opened": (
        "{path} を kiji のデータベースとして開けませんでした（{error}）。"
        "`kiji check` を実行するか、`kiji restore` でバックアップを復元してください",
        "{path} could not be opened as a kiji database ({error}); "
        "run `kiji check` or restore a backup with `kiji restore`",
    ),
}
