"""The ``kiji`` argument parser in the command line's language.

Options keep their English help where they are defined; :class:`KijiParser` shows the Japanese
of :data:`index.messages.help.HELP_JA` instead when the command line speaks Japanese, with
argparse's own words (``usage:``, the section titles, ``-h``, the usage errors) from the
catalogue. Subcommand parsers inherit the language.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys
from typing import NoReturn

from index.messages import Lang, lang_from_env, t
from index.messages.help import HELP_JA

# argparse's usage errors (Python 3.11-3.13 wording) → the catalogue key that says them.
_ERRORS = tuple(
    (re.compile(pattern), key)
    for key, pattern in {
        "argparse_required": r"the following arguments are required: (?P<names>.+)",
        "argparse_unrecognized": r"unrecognized arguments: (?P<args>.+)",
        "argparse_choice": r"argument (?P<name>\S+): invalid choice: (?P<value>.+?) \(choose from (?P<choices>.+)\)",
        "argparse_invalid": r"argument (?P<name>\S+): invalid \w+ value: (?P<value>.+)",
        "argparse_one_value": r"argument (?P<name>\S+): expected one argument",
        "argparse_not_with": r"argument (?P<name>\S+): not allowed with argument (?P<other>\S+)",
        "argparse_not_whole": r"argument (?P<name>\S+): expected a whole number, got (?P<value>.+)",
        "argparse_below_1": r"argument (?P<name>\S+): must be at least 1 \(got (?P<value>.+)\)",
        "argparse_not_datetime": r"argument (?P<name>\S+): not an ISO date-time: (?P<value>.+)",
        "argparse_needs_timezone": r"argument (?P<name>\S+): --now needs a timezone, e\.g\. (?P<example>\S+)",
        "argparse_not_date": r"argument (?P<name>\S+): not an ISO date: (?P<value>.+) \(e\.g\. (?P<example>.+)\)",
        "argparse_ambiguous": r"ambiguous option: (?P<option>\S+) could match (?P<matches>.+)",
        "argparse_at_least_one": r"argument (?P<name>\S+): expected at least one argument",
        "argparse_one_required": r"one of the arguments (?P<names>.+) is required",
        "argparse_at_most_one": r"argument (?P<name>\S+): expected at most one argument",
        "argparse_n_values": r"argument (?P<name>\S+): expected (?P<count>\d+) arguments?",
        "argparse_ignored": r"argument (?P<name>\S+): ignored explicit argument (?P<value>.+)",
    }.items()
)


def help_text(text: str | None, lang: Lang) -> str | None:
    """A help or description text in ``lang`` (as written when it has no Japanese)."""
    if text is None or lang == "en":
        return text
    return HELP_JA.get(text, text)


def usage_error(message: str, lang: Lang) -> str:
    """An argparse error message in ``lang`` (as argparse wrote it when it is not known)."""
    if lang == "en":
        return message
    for pattern, key in _ERRORS:
        m = pattern.fullmatch(message)
        if m is not None:
            return t(lang, key, **m.groupdict())
    return message


class _Formatter(argparse.HelpFormatter):
    lang: Lang = "ja"

    def _get_help_string(self, action: argparse.Action) -> str | None:
        return help_text(action.help, self.lang)

    def add_usage(self, usage, actions, groups, prefix=None) -> None:  # type: ignore[override]
        if prefix is None:  # "" when argparse builds a subcommand's prog
            prefix = t(self.lang, "argparse_usage")
        super().add_usage(usage, actions, groups, prefix)


class KijiParser(argparse.ArgumentParser):
    """An ArgumentParser whose help and usage errors follow ``lang`` (default: the locale)."""

    def __init__(self, *args, lang: Lang | None = None, **kwargs) -> None:
        self.lang: Lang = lang_from_env(os.environ) if lang is None else lang
        kwargs["description"] = help_text(kwargs.get("description"), self.lang)
        super().__init__(*args, **kwargs)
        self._positionals.title = t(self.lang, "argparse_positionals")
        self._optionals.title = t(self.lang, "argparse_options")
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = t(self.lang, "argparse_help")
            elif isinstance(action, argparse._VersionAction):
                action.help = t(self.lang, "argparse_version")

    def _get_formatter(self) -> argparse.HelpFormatter:
        formatter = _Formatter(prog=self.prog)
        formatter.lang = self.lang
        return formatter

    def add_argument(self, *args, **kwargs):  # type: ignore[override]
        action = super().add_argument(*args, **kwargs)
        if isinstance(action, argparse._VersionAction):
            action.help = t(self.lang, "argparse_version")
        return action

    def add_subparsers(self, **kwargs) -> argparse._SubParsersAction:  # type: ignore[override]
        kwargs.setdefault("parser_class", functools.partial(KijiParser, lang=self.lang))
        sub = super().add_subparsers(**kwargs)
        sub.lang = self.lang  # type: ignore[attr-defined]  # for plugins' register()
        return sub

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        detail = usage_error(message, self.lang)
        self.exit(2, t(self.lang, "argparse_error", prog=self.prog, detail=detail) + "\n")
