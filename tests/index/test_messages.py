"""The message catalogue (index/messages): every key in both languages, every key used, and the
rules that pick the language for the command line and for Discord."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from index import messages
from index.errors import FeedError
from index.messages import CATALOGUE, COMMAND_JA, lang_from_env, lang_from_locale, t
from index.messages.help import HELP_JA
from tests.conftest import REPO


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_key_has_japanese_and_english_with_the_same_fields(key: str) -> None:
    ja, en = CATALOGUE[key]
    assert ja.strip() and en.strip(), key
    assert _fields(ja) == _fields(en), key


def test_command_names_have_japanese() -> None:
    assert all(en.strip() and ja.strip() for en, ja in COMMAND_JA.items())


def _literals() -> tuple[set[str], set[str]]:
    """Every string constant in index/ and bot/ (outside the catalogue), and the constant
    beginnings of f-strings such as f"vote_{outcome}" (keys picked at run time)."""
    constants: set[str] = set()
    prefixes: set[str] = set()
    catalogue = REPO / "index" / "messages"
    for root in (REPO / "index", REPO / "bot"):
        for path in root.rglob("*.py"):
            if catalogue in path.parents:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    constants.add(node.value)
                elif isinstance(node, ast.JoinedStr) and node.values:
                    first = node.values[0]
                    if isinstance(first, ast.Constant) and str(first.value).endswith("_"):
                        prefixes.add(str(first.value))
    return constants, prefixes


def test_no_key_is_unused() -> None:
    constants, prefixes = _literals()
    unused = [
        key
        for key in [*CATALOGUE, *COMMAND_JA, *HELP_JA]
        if key not in constants and not any(key.startswith(p) for p in prefixes)
    ]
    assert unused == []


def test_t_formats_in_the_language_asked() -> None:
    assert t("ja", "chat_sample_built", n=3) == "3 件の記事を取り込みました。"
    assert t("en", "chat_sample_built", n=3) == "Added 3 articles."
    with pytest.raises(KeyError):
        t("ja", "no such key")


def test_a_keyed_core_error_is_english_as_text_and_in_either_language_on_demand() -> None:
    error = FeedError.keyed("feed_already_subscribed", url="https://a.example/feed")
    assert str(error) == "already subscribed: https://a.example/feed"  # logs, stored state
    assert error.text("ja") == "すでに購読しています：https://a.example/feed"
    assert error.text("en") == str(error)
    plain = FeedError("said as raised")
    assert plain.text("ja") == plain.text("en") == "said as raised"


@pytest.mark.parametrize(
    ("env", "lang"),
    [
        ({}, "ja"),
        ({"LANG": "C.UTF-8"}, "ja"),
        ({"LANG": "ja_JP.UTF-8"}, "ja"),
        ({"LANG": "en_US.UTF-8"}, "en"),
        ({"LANG": "en"}, "en"),
        ({"LC_MESSAGES": "en_GB.UTF-8", "LANG": "ja_JP.UTF-8"}, "en"),
        ({"LC_ALL": "ja_JP.UTF-8", "LANG": "en_US.UTF-8"}, "ja"),  # LC_ALL wins
        ({"LC_ALL": "", "LANG": "en_US.UTF-8"}, "en"),  # an empty variable is not set
        ({"LANG": "de_DE.UTF-8"}, "ja"),  # only English is translated
    ],
)
def test_the_command_line_language_follows_posix_locale_variables(
    env: dict[str, str], lang: str
) -> None:
    assert lang_from_env(env) == lang


def test_discord_locales() -> None:
    assert [lang_from_locale(x) for x in ("en-US", "en-GB", "ja", "fr", None)] == [
        "en",
        "en",
        "ja",
        "ja",
        "ja",
    ]


def test_the_catalogue_imports_nothing_of_kiji() -> None:
    """A foundation: every part of the core, and the bot, may use it."""
    for path in Path(messages.__file__).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module.startswith(
                    ("index.messages", "__future__", "collections", "typing")
                ), (path, node.module)


def test_every_help_text_of_the_command_line_has_japanese() -> None:
    """Each ``help=`` / ``description=`` of the kiji parsers is a constant with an entry in
    HELP_JA (an f-string could not be looked up), and the entries keep argparse's fields."""
    missing: list[str] = []
    for path in [
        *(REPO / "index" / "cli").glob("*.py"),
        REPO / "bot" / "cli.py",
        REPO / "bot" / "__main__.py",
    ]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            for kw in node.keywords:
                if kw.arg in ("help", "description"):
                    assert isinstance(kw.value, ast.Constant), f"{path.name}: {ast.unparse(kw)}"
                    if kw.value.value not in HELP_JA:
                        missing.append(str(kw.value.value))
    assert missing == []
    for en, ja in HELP_JA.items():
        assert ja.strip() and ja.count("%(") == en.count("%("), en


def test_no_core_error_is_raised_with_a_text_of_its_own() -> None:
    """Every NewsIndexError (and subclass) a user can meet is raised with a catalogue key
    (``.keyed`` or a helper built on it), never with an English or Japanese text written at
    the raise; an ``internal:`` one is a bug report, not a message."""
    files = [p for root in ("index", "bot") for p in (REPO / root).rglob("*.py")]
    trees = {p: ast.parse(p.read_text(encoding="utf-8")) for p in files}
    errors = {"NewsIndexError"}
    grew = True
    while grew:  # the subclasses, wherever they are defined
        grew = False
        for tree in trees.values():
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in errors:
                    bases = {
                        b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                        for b in node.bases
                    }
                    if bases & errors:
                        errors.add(node.name)
                        grew = True
    texts = []
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                continue
            func, args = node.exc.func, node.exc.args
            if isinstance(func, ast.Name) and func.id in errors and args:
                first = args[0]
                if isinstance(first, ast.JoinedStr) and first.values:
                    first = first.values[0]  # its leading text
                    if not isinstance(first, ast.Constant):
                        first = ast.Constant("")
                if isinstance(first, ast.Constant) and not str(first.value).startswith("internal:"):
                    texts.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert {"InvalidQuery", "SchemaTooNew", "DatabaseInUse", "EvalFileError"} <= errors
    assert texts == []
