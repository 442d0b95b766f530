"""Every moderator subcommand is refused to a member (issue 12 row 16).

The table is generated from the bot's own command tree: every command under a group that asks
Discord for Manage Server (``default_permissions``; a hint server admins can override) must also
be refused in code, before it reads its options or does any work. /kiji config is public to read
and moderator-only to change, so it is invoked with a change. A new moderator subcommand joins the
table by itself; the count below makes an accidental change to the tree visible.
"""

from __future__ import annotations

from typing import Any

import discord
import pytest
from discord import app_commands

from bot.client import NewsBot
from bot.i18n import t
from tests.bot.fakes import CHANNEL_ID, GUILD_ID, MANAGE_GUILD, dispatch, slash

NONE = discord.AllowedMentions.none().to_dict()

# Commands that are moderator-only only with some options: the options that make them so.
CHANGING: dict[str, list[dict[str, Any]]] = {
    "kiji config": [{"type": 3, "name": "visibility", "value": "public"}],
}
RESOLVED = {
    "channels": {
        str(CHANNEL_ID): {
            "id": str(CHANNEL_ID), "type": 0, "name": "news", "permissions": "0",
            "guild_id": str(GUILD_ID),
        }
    }
}  # fmt: skip


def _value(param: app_commands.Parameter) -> dict[str, Any]:
    """A well-formed value for a required option, so a refusal is never a parsing error."""
    kind = param.type
    if kind is discord.AppCommandOptionType.channel:
        return {"type": 7, "name": param.name, "value": str(CHANNEL_ID)}
    if kind is discord.AppCommandOptionType.integer:
        return {"type": 4, "name": param.name, "value": 1}
    if kind is discord.AppCommandOptionType.boolean:
        return {"type": 5, "name": param.name, "value": False}
    return {"type": 3, "name": param.name, "value": "08:00"}


def moderator_commands(bot: NewsBot) -> dict[str, tuple[app_commands.Command, list[dict]]]:
    table: dict[str, tuple[app_commands.Command, list[dict]]] = {}
    for command in bot.tree.walk_commands():
        if not isinstance(command, app_commands.Command):
            continue
        root = command.root_parent or command
        hinted = root.default_permissions is not None and root.default_permissions.manage_guild
        name = command.qualified_name
        if hinted or name in CHANGING:
            options = [_value(p) for p in command.parameters if p.required]
            table[name] = (command, options + CHANGING.get(name, []))
    return table


async def test_the_table_covers_every_moderator_subcommand(bot: NewsBot) -> None:
    names = sorted(moderator_commands(bot))
    expected = [
        *("feeds add", "feeds list", "feeds remove", "feeds poll"),
        *("digest preview", "digest post", "digest schedule", "digest off", "digest status"),
        "kiji config",
    ]
    assert names == sorted(expected)


@pytest.mark.parametrize("with_role_elsewhere", [False, True])
async def test_every_moderator_subcommand_is_refused_to_a_member(
    bot: NewsBot, with_role_elsewhere: bool
) -> None:
    table = moderator_commands(bot)
    assert len(table) == 10
    refused = []
    for name, (command, options) in sorted(table.items()):
        # A member without Manage Server; optionally with a role that is not the moderator role.
        inter = slash(
            bot,
            command,
            permissions=0,
            roles=(123,) if with_role_elsewhere else (),
            raw_options=options,
            resolved=RESOLVED,
        )
        await dispatch(bot.tree, inter)
        kinds = inter.rec.kinds()
        assert kinds == ["send_message"], (name, kinds)  # refused before any defer or work
        sent = inter.rec.last().kwargs
        assert sent["ephemeral"] is True and sent["allowed_mentions"].to_dict() == NONE
        assert sent["content"] == t("ja", "not_moderator"), (name, sent["content"])
        refused.append(name)
    assert len(refused) == 10


async def test_the_check_lets_a_moderator_through(bot: NewsBot) -> None:
    """The same invocation with Manage Server is not refused (it fails later, or succeeds)."""
    for name, (command, options) in sorted(moderator_commands(bot).items()):
        inter = slash(
            bot, command, permissions=MANAGE_GUILD, raw_options=options, resolved=RESOLVED
        )
        await dispatch(bot.tree, inter)
        contents = [e.kwargs.get("content") for e in inter.rec.sends()]
        assert t("ja", "not_moderator") not in contents, name
