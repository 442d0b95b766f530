"""The house rules the import contracts cannot see: where SQL may live, how long a module may be.

Both read the source as text; nothing is imported or run.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_LINES = 450

# The only places that talk SQL: the core's store, and the bot's own tables.
SQL_HOMES = ("index/store/", "bot/state/")
SQL_CALL = re.compile(r"\.(execute|executemany|executescript)\(")

# Modules still over MAX_LINES, each being split by whoever owns it now; remove a line when its
# module is at or under the limit (the test says so). Sizes as of 2026-11-29, for reference.
OVER_THE_LIMIT: set[str] = set()


def modules() -> list[Path]:
    return sorted(p for part in ("index", "bot") for p in (ROOT / part).rglob("*.py"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def test_sql_lives_only_in_the_store_and_the_bot_state() -> None:
    outside = [
        f"{rel(p)}:{n}: {line.strip()}"
        for p in modules()
        if not rel(p).startswith(SQL_HOMES)
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if SQL_CALL.search(line)
    ]
    assert outside == [], "SQL outside index/store/ and bot/state/: add a function there"


def test_no_module_is_over_the_line_limit() -> None:
    sizes = {rel(p): len(p.read_text(encoding="utf-8").splitlines()) for p in modules()}
    too_long = {m: n for m, n in sizes.items() if n > MAX_LINES and m not in OVER_THE_LIMIT}
    assert too_long == {}, f"modules over {MAX_LINES} lines: split them by what they own"
    fixed = sorted(m for m in OVER_THE_LIMIT if sizes.get(m, 0) <= MAX_LINES)
    assert fixed == [], "now within the limit (or gone): remove them from OVER_THE_LIMIT"


def _runtime_imports(path: Path) -> set[str]:
    """Modules ``path`` imports when it runs (anything under ``if TYPE_CHECKING:`` excluded)."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return {
        node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and id(node) not in typing_only
    } | {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import) and id(node) not in typing_only
        for alias in node.names
    }


def test_the_store_calls_the_writer_never_the_reverse() -> None:
    # IndexStore.add_articles/delete_article call the writer; the writer, the segments and
    # prepare only name IndexStore in type hints, so there is no import cycle to hide.
    for part in ("writer", "segments", "prepare", "existing"):
        path = ROOT / "index" / "store" / f"{part}.py"
        if path.exists():
            assert "index.store.store" not in _runtime_imports(path), part
    assert "index.store.writer" in _runtime_imports(ROOT / "index" / "store" / "store.py")
