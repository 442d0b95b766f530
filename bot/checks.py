"""Who may run what: moderator and owner checks, enforced in code (``default_permissions`` is
only a hint that server admins can override)."""

from __future__ import annotations

import discord
from discord import app_commands

from bot.errors import NotModerator, NotOwner
from bot.state.settings import SettingsStore


def is_moderator(interaction: discord.Interaction, settings: SettingsStore) -> bool:
    """Manage Server permission, or the guild's configured moderator role (no I/O)."""
    if interaction.guild_id is None:
        return False
    if interaction.permissions.manage_guild or interaction.permissions.administrator:
        return True
    role_id = settings.get(interaction.guild_id).moderator_role_id
    if role_id is None or not isinstance(interaction.user, discord.Member):
        return False
    # Member._roles holds the role ids sent with the interaction, even when the guild is not
    # cached (roles resolved through the guild would then be empty).
    return any(int(r) == role_id for r in interaction.user._roles)


def ensure_moderator(interaction: discord.Interaction, settings: SettingsStore) -> None:
    """Raise :class:`NotModerator` (or ``NoPrivateMessage`` in a DM) unless the user moderates."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    if not is_moderator(interaction, settings):
        raise NotModerator()


async def ensure_owner(interaction: discord.Interaction, owner_ids: frozenset[int]) -> None:
    """Raise :class:`NotOwner` unless the user is a configured owner (``KIJI_OWNER_IDS``) or,
    with none configured, the application's owner or team member."""
    user = interaction.user
    if owner_ids:
        if user.id in owner_ids:
            return
        raise NotOwner()
    is_owner = getattr(interaction.client, "is_owner", None)
    if is_owner is not None and await is_owner(user):
        return
    raise NotOwner()
