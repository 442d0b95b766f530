"""The Discord bot's replies, embeds and buttons: key → (ja, en)."""

BOT: dict[str, tuple[str, str]] = {
    "generic_error": (
        "問題が起きて処理できませんでした。少し待ってからもう一度お試しください。",
        "Something went wrong. Please try again in a moment.",
    ),
    "shutting_down": (
        "kiji は再起動中のため、いまは答えられません。少し待ってからもう一度お試しください。",
        "kiji is restarting and cannot answer right now. Please try again in a moment.",
    ),
    "cooldown": (
        "少し間をあけてください。あと{seconds:.0f}秒でまた使えます。",
        "Slow down a little: you can use this again in {seconds:.0f} s.",
    ),
    "rate_user": (
        "質問が続いています。あと{seconds:.0f}秒ほど待ってから、もう一度聞いてください。",
        "You have asked a lot in a short time: please wait about {seconds:.0f} s and ask again.",
    ),
    "rate_guild": (
        "このサーバーではいま質問が集中しています。あと{seconds:.0f}秒ほどでまた受け付けます。",
        "This server is asking a lot right now: kiji takes questions again in about {seconds:.0f} s.",
    ),
    "rate_feeds": (
        "このサーバーではフィードの追加が上限（{rate}件/{hours:g}時間）に達しました。"
        "あと{minutes:.0f}分ほどで追加できます。",
        "This server has added the maximum number of feeds ({rate} per {hours:g} h): "
        "you can add another in about {minutes:.0f} min.",
    ),
    "not_moderator": (
        "このコマンドはモデレーター（サーバー管理権限か設定された役職）だけが使えます。",
        "Only moderators (Manage Server permission or the configured role) can use this.",
    ),
    "not_owner": (
        "このコマンドはボットの所有者だけが使えます。",
        "Only the bot owner can use this.",
    ),
    "guild_only": (
        "このコマンドはサーバー内でだけ使えます。",
        "This command only works in a server.",
    ),
    "bot_missing_permissions": (
        "kijiに必要な権限がありません：{perms}",
        "kiji is missing permissions here: {perms}",
    ),
    "answer_title": ("質問：{q}", "Q: {q}"),
    "closest": ("近い記事", "Closest articles"),
    "footer_answer": ("{ms:.0f} ms ・ {page}ページ目", "{ms:.0f} ms · page {page}"),
    "more": ("さらに表示", "More results"),
    "sources": ("出典を表示", "Show sources"),
    "sources_title": ("出典", "Sources"),
    "no_more": ("これ以上の結果はありません。", "There are no more results."),
    "expired": (
        "このボタンの質問が見つかりません。もう一度質問してください。",
        "This button's question is no longer stored; please ask again.",
    ),
    "search_title": ("「{q}」の検索結果", "Results for “{q}”"),
    "search_none": (
        "「{q}」に合う記事は見つかりませんでした（期間：{period}）。",
        "No article matches “{q}” (period: {period}).",
    ),
    "search_footer": (
        "{page}/{pages}ページ ・ {n}件 ・ 期間：{period}",
        "page {page}/{pages} · {n} articles · period: {period}",
    ),
    "prev": ("前へ", "Previous"),
    "next": ("次へ", "Next"),
    "period_today": ("今日", "today"),
    "period_week": ("今週", "this week"),
    "period_month": ("今月", "this month"),
    "period_all": ("すべて", "all time"),
    "article_not_found": (
        "記事「{q}」が見つかりませんでした。タイトルを入力して候補から選んでください。",
        "No article “{q}”. Start typing a title and pick one of the suggestions.",
    ),
    "references": ("参考資料", "Sources"),
    "latest": ("最新ニュース", "Latest news"),
    "summary_empty": ("（本文がありません）", "(no text)"),
    "stats_title": ("kijiの統計", "kiji statistics"),
    "stats_articles": ("記事", "Articles"),
    "stats_passages": ("段落", "Passages"),
    "stats_terms": ("語", "Terms"),
    "stats_size": ("データベース", "Database"),
    "stats_guilds": ("サーバー", "Servers"),
    "stats_latency": ("応答", "Latency"),
    "stats_latest": ("最新の記事", "Newest article"),
    "stats_helpful": ("役に立った（7日間）", "Helpful (7 days)"),
    "stats_helpful_value": (
        "{rate:.0%}（👍 {up} / 👎 {down}）",
        "{rate:.0%} (👍 {up} / 👎 {down})",
    ),
    "stats_helpful_none": ("まだ評価はありません", "No votes yet"),
    "vote_new": (
        "{mark} ありがとうございます。評価を記録しました。",
        "{mark} Thank you, your vote is recorded.",
    ),
    "vote_changed": ("評価を{mark}に変更しました。", "Your vote is now {mark}."),
    "vote_same": (
        "{mark}で記録済みです（評価は1人1票です）。",
        "Your {mark} is already recorded (one vote per member).",
    ),
    "vote_expired": (
        "この回答は評価の記録にありません。もう一度質問してください。",
        "This answer is no longer stored for votes; please ask again.",
    ),
    "help_title": ("kijiの使い方", "How to use kiji"),
    "help_body": (
        "kijiは登録されたニュース記事から、質問に合う文を出典つきで引用して答えます。\n\n"
        "**/聞く 質問** — 記事から答えを探します（例：`/聞く 日銀は何を決めた？`）\n"
        "**/検索 キーワード [期間]** — 記事を一覧にします\n"
        "**/記事 タイトル** — 記事の要約・参考資料・関連記事\n"
        "**メッセージのメニュー → アプリ → kijiに聞く** — そのメッセージについて質問します\n"
        "**@kiji 質問** — 許可されたチャンネルで使えます（`/kiji 設定`）\n\n"
        "モデレーター向け：`/フィード`（記事の取り込み）、`/ダイジェスト`（毎日のまとめ）、`/kiji 設定`",
        "kiji answers questions by quoting sentences from the news articles it has indexed, "
        "with a link to each source.\n\n"
        "**/ask question** — find the answer in the articles (e.g. `/ask 日銀は何を決めた？`)\n"
        "**/search keywords [period]** — list matching articles\n"
        "**/article title** — an article's summary, sources and related articles\n"
        "**Message menu → Apps → Ask kiji** — ask about that message\n"
        "**@kiji question** — in channels a moderator allowed (`/kiji config`)\n\n"
        "For moderators: `/feeds` (what kiji reads), `/digest` (daily summary), `/kiji config`",
    ),
    "config_title": ("このサーバーの設定", "Settings for this server"),
    "config_visibility": ("返信の表示", "Reply visibility"),
    "config_public": ("全員に見える", "public"),
    "config_ephemeral": ("質問した人だけ", "only the asker"),
    "config_role": ("モデレーター役職", "Moderator role"),
    "config_none": ("なし", "none"),
    "config_channels": ("メンションに答えるチャンネル", "Channels answering mentions"),
    "config_saved": ("設定を保存しました。", "Settings saved."),
    "synced": ("{n}個のコマンドを登録しました（{scope}）。", "Published {n} commands ({scope})."),
    "scope_guild": ("このサーバー", "this server"),
    "scope_global": ("全体。反映に最大1時間かかります", "everywhere; may take up to an hour"),
    "feed_added": ("フィードを登録しました：{feed}", "Subscribed: {feed}"),
    "feed_removed": ("フィードの登録を解除しました：{feed}", "Unsubscribed: {feed}"),
    "feed_unknown": ("そのフィードは登録されていません：{feed}", "No such feed: {feed}"),
    "feeds_title": ("登録済みのフィード", "Subscribed feeds"),
    "feeds_none": (
        "フィードはまだありません。`/フィード 追加` で登録できます。",
        "No feeds yet. Add one with `/feeds add`.",
    ),
    "feeds_polled": (
        "{feeds}件のフィードから取得しました：新規{added}件・更新{updated}件",
        "Polled {feeds} feeds: {added} new, {updated} updated",
    ),
    "feeds_unavailable": (
        "フィード機能はまだ使えません。",
        "Feeds are not available in this version.",
    ),
    "digest_unavailable": (
        "ダイジェスト機能はまだ使えません。",
        "The digest is not available in this version.",
    ),
    "digest_title": ("{date}のニュースダイジェスト", "News digest for {date}"),
    "digest_posted": (
        "{channel}に{n}件のメッセージで投稿しました。",
        "Posted to {channel} in {n} messages.",
    ),
    "digest_already": (
        "{date}のダイジェストは投稿済みです。もう一度投稿するには「再投稿」を選んでください。",
        "The digest for {date} was already posted. Set “again” to post it again.",
    ),
    "digest_scheduled": (
        "毎日{time}（{tz}）に{channel}へ投稿します。",
        "The digest will be posted to {channel} every day at {time} ({tz}).",
    ),
    "digest_off": ("毎日のダイジェストを止めました。", "The daily digest is off."),
    "digest_was_off": (
        "毎日のダイジェストは設定されていません。",
        "No daily digest was scheduled.",
    ),
    "digest_status_title": ("ダイジェストの状態", "Digest status"),
    "bad_day": (
        "日付はYYYY-MM-DD形式で入力してください（例：2026-11-13）。",
        "Give the day as YYYY-MM-DD (e.g. 2026-11-13).",
    ),
    "bad_time": (
        "時刻はHH:MM形式で入力してください（例：08:00）。",
        "Give the time as HH:MM (e.g. 08:00).",
    ),
    "bad_tz": (
        "タイムゾーン「{tz}」が分かりません（例：Asia/Tokyo）。",
        "Unknown time zone “{tz}” (e.g. Asia/Tokyo).",
    ),
    "bad_channel": ("そのチャンネルには投稿できません。", "kiji cannot post in that channel."),
    "digest_missing_permissions": (
        "{channel}に投稿する権限がありません（メッセージ送信・埋め込みリンク）。",
        "kiji lacks permission to post in {channel} (Send Messages, Embed Links).",
    ),
    "digest_channel_gone": ("そのチャンネルは見つかりません。", "That channel no longer exists."),
    "digest_rate_limited": (
        "Discordの送信制限中です。{seconds:.0f}秒後にもう一度お試しください。",
        "Discord is rate limiting kiji; try again in {seconds:.0f} s.",
    ),
    "digest_server_error": (
        "Discord側でエラーが起きました。少し待ってからもう一度お試しください。",
        "Discord had a server error; try again in a moment.",
    ),
    "message_empty": (
        "このメッセージには質問にできる文字がありません。",
        "This message has no text to ask about.",
    ),
    # why a digest post failed, kept in the digest log and shown by /digest status
    # (bot/digest_attempts.py, bot/scheduler.py); {detail} is the error as logged, "Kind: detail"
    "digest_err_permissions": ("投稿する権限がありません（{detail}）", "{detail}"),
    "digest_err_channel_gone": ("チャンネルが見つかりません（{detail}）", "{detail}"),
    "digest_err_rate_limited": ("Discord の送信制限にかかりました（{detail}）", "{detail}"),
    "digest_err_server": ("Discord 側のエラーです（{detail}）", "{detail}"),
    "digest_err_unexpected": ("予期しないエラーです（{detail}）", "{detail}"),
    "digest_err_partial": (
        "{n} 件のメッセージを送ったところで失敗しました：{error}",
        "partially posted ({n} messages) before: {error}",
    ),
    "digest_err_interrupted_retry": (
        "投稿の前に中断されました。もう一度試します",
        "interrupted before posting; retrying",
    ),
    "digest_err_interrupted": (
        "投稿の途中で中断されました（{claimed} UTC に開始）。送られた可能性があります。"
        "チャンネルを確認し、なければ強制してもう一度投稿してください",
        "interrupted while posting (claimed {claimed} UTC); it may have been sent: check the "
        "channel, then post again with force if it is missing",
    ),
    "digest_err_offline": (
        "{due} にボットが止まっていて、{late}後に戻りました（猶予 {grace}）",
        "the bot was offline at {due} and came back {late} later (grace {grace})",
    ),
    "digest_err_cancelled": (
        "取り消しました：スケジュールが止められました",
        "cancelled: the schedule was disabled",
    ),
    "duration_minutes": ("{n} 分", "{n} min"),
    "duration_hours": ("{h:.1f} 時間", "{h:.1f} h"),
}
