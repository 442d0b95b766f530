"""Real discord.py objects built from payloads, with a recording stand-in for Discord's HTTP side.

Interactions are ``discord.Interaction`` instances made from payload dicts on an unconnected
client's state (as discord.py's tests/test_app_commands_invoke.py does); only ``response``,
``followup`` and the original-response calls are replaced by recorders. Dispatching goes through
the real command tree (private ``CommandTree._call``: discord.py is pinned to 2.7.1).
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import discord
from discord import app_commands

GUILD_ID = 900000000000000001
CHANNEL_ID = 900000000000000002
OTHER_CHANNEL_ID = 900000000000000003
USER_ID = 900000000000000004
OTHER_USER_ID = 900000000000000005
BOT_ID = 900000000000000006
MOD_ROLE_ID = 900000000000000007
OWNER_ID = 900000000000000008
MANAGE_GUILD = 1 << 5

_ids = itertools.count(910000000000000000)


@dataclass
class Event:
    kind: str  # defer | send_message | followup | edit_original | delete_original | autocomplete | work
    kwargs: dict[str, Any]
    at: float = field(default_factory=time.perf_counter)

    @property
    def embeds(self) -> list[discord.Embed]:
        if self.kwargs.get("embed") is not None:
            return [self.kwargs["embed"]]
        return list(self.kwargs.get("embeds") or [])

    @property
    def view(self) -> discord.ui.View | None:
        return self.kwargs.get("view")


class Recorder:
    def __init__(self) -> None:
        self.events: list[Event] = []

    def add(self, kind: str, **kwargs: Any) -> None:
        self.events.append(Event(kind, kwargs))

    def kinds(self) -> list[str]:
        return [e.kind for e in self.events]

    def sends(self) -> list[Event]:
        """Every event that puts a message on Discord."""
        return [
            e
            for e in self.events
            if e.kind in ("send_message", "followup", "edit_original", "reply")
        ]

    def last(self) -> Event:
        return self.sends()[-1]


class FakeResponse:
    def __init__(self, rec: Recorder) -> None:
        self.rec = rec
        self._done = False

    def is_done(self) -> bool:
        return self._done

    async def defer(self, *, ephemeral: bool = False, thinking: bool = False) -> None:
        assert not self._done, "responded twice"
        self._done = True
        self.rec.add("defer", ephemeral=ephemeral, thinking=thinking)

    async def send_message(self, content: str | None = None, **kw: Any) -> None:
        assert not self._done, "responded twice"
        self._done = True
        self.rec.add("send_message", content=content, **kw)

    async def autocomplete(self, choices: list[app_commands.Choice[Any]]) -> None:
        self._done = True
        self.rec.add("autocomplete", choices=choices)


class FakeFollowup:
    def __init__(self, rec: Recorder) -> None:
        self.rec = rec

    async def send(self, content: str | None = None, **kw: Any) -> None:
        self.rec.add("followup", content=content, **kw)


class RecordingInteraction(discord.Interaction):
    """A real Interaction whose replies are recorded instead of sent."""

    rec: Recorder
    _fake_response: FakeResponse
    _fake_followup: FakeFollowup

    @property
    def response(self) -> FakeResponse:  # type: ignore[override]
        return self._fake_response

    @property
    def followup(self) -> FakeFollowup:  # type: ignore[override]
        return self._fake_followup

    async def edit_original_response(self, **kw: Any) -> None:  # type: ignore[override]
        self.rec.add("edit_original", **kw)

    async def delete_original_response(self) -> None:
        self.rec.add("delete_original")


def user_payload(user_id: int = USER_ID, name: str = "tester") -> dict[str, Any]:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "avatar": None,
        "global_name": name,
    }


def member_payload(
    user_id: int = USER_ID, *, permissions: int = 0, roles: tuple[int, ...] = ()
) -> dict[str, Any]:
    return {
        "user": user_payload(user_id),
        "roles": [str(r) for r in roles],
        "joined_at": "2026-01-01T00:00:00+00:00",
        "deaf": False,
        "mute": False,
        "flags": 0,
        "permissions": str(permissions),
    }


def channel_payload(channel_id: int = CHANNEL_ID) -> dict[str, Any]:
    return {
        "id": str(channel_id),
        "type": 0,
        "name": "general",
        "position": 0,
        "guild_id": str(GUILD_ID),
        "permission_overwrites": [],
        "nsfw": False,
        "parent_id": None,
    }


def message_payload(
    content: str,
    *,
    author_id: int = OTHER_USER_ID,
    channel_id: int = CHANNEL_ID,
    mentions: tuple[int, ...] = (),
    components: list[dict[str, Any]] | None = None,
    bot: bool = False,
) -> dict[str, Any]:
    author = user_payload(author_id, "author")
    if bot:
        author["bot"] = True
    return {
        "id": str(next(_ids)),
        "channel_id": str(channel_id),
        "guild_id": str(GUILD_ID),
        "author": author,
        "content": content,
        "timestamp": "2026-11-14T00:00:00+00:00",
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": "@everyone" in content,
        "mentions": [user_payload(m, "bot") for m in mentions],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "pinned": False,
        "type": 0,
        "components": components or [],
    }


def _base(
    client: discord.Client,
    type_: int,
    data: dict[str, Any],
    *,
    locale: str,
    permissions: int,
    roles: tuple[int, ...],
    user_id: int,
    guild: bool,
    channel_id: int,
    message: dict[str, Any] | None = None,
) -> RecordingInteraction:
    payload: dict[str, Any] = {
        "id": str(next(_ids)),
        "application_id": str(BOT_ID),
        "token": "not-a-real-token",
        "version": 1,
        "type": type_,
        "data": data,
        "locale": locale,
        "attachment_size_limit": 8 * 1024 * 1024,
        "app_permissions": str((1 << 11) | (1 << 14)),
    }
    if guild:
        payload["guild_id"] = str(GUILD_ID)
        payload["guild_locale"] = "ja"
        payload["channel"] = channel_payload(channel_id)
        payload["channel_id"] = str(channel_id)
        payload["member"] = member_payload(user_id, permissions=permissions, roles=roles)
    else:
        payload["user"] = user_payload(user_id)
        payload["channel"] = {
            "id": str(channel_id),
            "type": 1,
            "recipients": [user_payload(user_id)],
        }
    if message is not None:
        payload["message"] = message
    inter = RecordingInteraction(data=payload, state=client._connection)  # type: ignore[arg-type]
    inter.rec = Recorder()
    inter._fake_response = FakeResponse(inter.rec)
    inter._fake_followup = FakeFollowup(inter.rec)
    return inter


def _command_data(command: Any, options: list[dict[str, Any]]) -> dict[str, Any]:
    data: dict[str, Any] = {"type": 1, "name": command.name, "options": options}
    if command.parent is None:
        data["id"] = str(next(_ids))
        return data
    data["type"] = 1
    return _command_data(command.parent, [data])


def _options(values: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, value in values.items():
        if isinstance(value, bool):
            out.append({"type": 5, "name": name, "value": value})
        elif isinstance(value, int):
            out.append({"type": 4, "name": name, "value": value})
        else:
            out.append({"type": 3, "name": name, "value": value})
    return out


def slash(
    client: discord.Client,
    command: Any,
    *,
    locale: str = "ja",
    permissions: int = 0,
    roles: tuple[int, ...] = (),
    user_id: int = USER_ID,
    guild: bool = True,
    channel_id: int = CHANNEL_ID,
    resolved: dict[str, Any] | None = None,
    raw_options: list[dict[str, Any]] | None = None,
    **options: Any,
) -> RecordingInteraction:
    """A chat-input interaction invoking ``command`` (options by their non-localised names)."""
    opts = (raw_options or []) + _options(options)
    data = _command_data(command, opts)
    # subcommand options have type 1 (subcommand) or 2 (group) when nested
    if command.parent is not None:
        data["options"][0]["type"] = 1
        if command.parent.parent is not None:
            data["options"][0]["type"] = 2
    if resolved:
        data["resolved"] = resolved
    return _base(
        client,
        2,
        data,
        locale=locale,
        permissions=permissions,
        roles=roles,
        user_id=user_id,
        guild=guild,
        channel_id=channel_id,
    )


def autocomplete(
    client: discord.Client,
    command: Any,
    option: str,
    current: str,
    *,
    locale: str = "ja",
) -> RecordingInteraction:
    data = _command_data(command, [{"type": 3, "name": option, "value": current, "focused": True}])
    return _base(
        client, 4, data, locale=locale, permissions=0, roles=(), user_id=USER_ID, guild=True,
        channel_id=CHANNEL_ID,
    )  # fmt: skip


def message_command(
    client: discord.Client, name: str, message: dict[str, Any], *, locale: str = "ja"
) -> RecordingInteraction:
    data = {
        "id": str(next(_ids)),
        "type": 3,
        "name": name,
        "target_id": message["id"],
        "resolved": {"messages": {message["id"]: message}},
    }
    return _base(
        client, 2, data, locale=locale, permissions=0, roles=(), user_id=USER_ID, guild=True,
        channel_id=CHANNEL_ID,
    )  # fmt: skip


def component(
    client: discord.Client,
    custom_id: str,
    *,
    user_id: int = USER_ID,
    locale: str = "ja",
) -> RecordingInteraction:
    """A button click on a message that carries that button (as Discord sends it)."""
    message = message_payload(
        "",
        author_id=BOT_ID,
        components=[
            {
                "type": 1,
                "components": [{"type": 2, "style": 1, "label": "x", "custom_id": custom_id}],
            }
        ],
        bot=True,
    )
    data = {"custom_id": custom_id, "component_type": 2}
    return _base(
        client, 3, data, locale=locale, permissions=0, roles=(), user_id=user_id, guild=True,
        channel_id=CHANNEL_ID, message=message,
    )  # fmt: skip


async def dispatch(tree: app_commands.CommandTree, interaction: discord.Interaction) -> None:
    """What the tree does for an incoming interaction (``_from_interaction`` minus the task)."""
    try:
        await tree._call(interaction)
    except app_commands.AppCommandError as e:
        await tree._dispatch_error(interaction, e)


async def click(client: discord.Client, interaction: discord.Interaction) -> None:
    """Dispatch a component interaction through the client's view store (dynamic items)."""
    store = client._connection._view_store
    custom_id = interaction.data["custom_id"]  # type: ignore[index]
    for pattern, factory in store._dynamic_items.items():
        match = pattern.fullmatch(custom_id)
        if match is not None:
            await store.schedule_dynamic_item_call(2, factory, interaction, custom_id, match)
            return
    raise AssertionError(f"no dynamic item matches {custom_id!r}")


class RecordingMessage(discord.Message):
    """A real Message whose ``reply`` is recorded."""

    rec: Recorder

    async def reply(self, content: str | None = None, **kw: Any) -> None:  # type: ignore[override]
        self.rec.add("reply", content=content, **kw)


def message(client: discord.Client, payload: dict[str, Any]) -> RecordingMessage:
    state = client._connection
    guild = state._get_or_create_unavailable_guild(GUILD_ID)
    data: Any = channel_payload(int(payload["channel_id"]))
    channel = discord.TextChannel(state=state, guild=guild, data=data)
    msg = RecordingMessage(state=state, channel=channel, data=payload)  # type: ignore[arg-type]
    msg.rec = Recorder()
    return msg
