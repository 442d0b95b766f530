"""Shared fixtures: a real Sudachi tokenizer, real SQLite files in tmp_path, small Japanese articles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from index.analysis.tokenizer import JapaneseTokenizer
from index.models import Article, ArticleLink, Section
from index.store.store import IndexStore

JST = timezone(timedelta(hours=9))
REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


LOCALE_VARIABLES = ("LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture(autouse=True)
def japanese_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test starts from kiji's default language (Japanese), whatever the shell's locale;
    the CLI and child processes read it from the environment."""
    for name in LOCALE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command line in English (``LANG=en_US.UTF-8``), as a user's shell would set it."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")


@pytest.fixture(scope="session")
def tokenizer() -> JapaneseTokenizer:
    return JapaneseTokenizer()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "index.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path | str]:
    """Where a test's index lives, once per backend: a SQLite file in tmp_path, and a
    PostgreSQL database made for the test and dropped after it (tests/pg.py: fails, never
    skips, when the server is down)."""
    if request.param == "sqlite":
        yield tmp_path / "index.db"
        return
    from .pg import pg_database

    with pg_database() as url:
        yield url


@pytest.fixture
def store(db_path: Path) -> Iterator[IndexStore]:
    s = IndexStore.open(db_path)
    yield s
    s.close()


def make_article(
    id: str,
    title: str,
    paragraphs: list[str] | tuple[str, ...],
    *,
    day: int = 20,
    hour: int = 9,
    heading: str | None = "はじめに",
    category: str | None = "経済",
    related: tuple[ArticleLink, ...] = (),
    url: str | None = None,
) -> Article:
    return Article(
        id=id,
        title=title,
        sections=(Section(heading, tuple(paragraphs)),),
        url=url if url is not None else f"https://kiji.example/{id}",
        published_at=datetime(2026, 11, day, hour, 0, tzinfo=JST),
        category=category,
        related=related,
    )


@pytest.fixture
def news_articles() -> list[Article]:
    """Five small news articles written for the tests (invented facts)."""
    return [
        make_article(
            "boj",
            "日銀が政策金利を1.0%に引き上げ",
            [
                "日本銀行は11月20日の金融政策決定会合で、政策金利を0.75%から1.0%に引き上げることを決めました。",
                "利上げは今年2回目で、円安の進行と物価の上昇が続いていることが背景にあります。",
            ],
            day=20,
            related=(ArticleLink("円安が進む理由を解説", "為替の基本を解説します。"),),
        ),
        make_article(
            "yen",
            "円安が進む理由を解説",
            [
                "外国為替市場で円安が進み、1ドル=158円台をつけました。",
                "日米の金利差が大きいことが、円が売られる主な理由とされています。",
            ],
            day=19,
        ),
        make_article(
            "typhoon",
            "台風21号が高知県に上陸",
            [
                "台風21号は11月14日午前6時ごろ、高知県室戸市付近に上陸しました。",
                "四国と近畿で停電や交通機関の運休が相次ぎました。",
            ],
            day=15,
            category="社会",
        ),
        make_article(
            "who",
            "米国がWHOから脱退、国際保健に空白",
            [
                "米国は2026年1月22日、世界保健機関(WHO)から正式に脱退しました。",
                "拠出金の減少で、途上国の感染症対策への影響が懸念されています。",
            ],
            day=18,
            category="国際",
        ),
        make_article(
            "chip",
            "北辰半導体が酒田市に新工場",
            [
                "北辰半導体は山形県酒田市に附属研究所を併設した新工場を建設します。",
                "総投資額は1.5兆円で、2028年に量産を始める計画です。",
            ],
            day=13,
            category="テクノロジー",
        ),
    ]


@pytest.fixture
def news_store(
    store: IndexStore, tokenizer: JapaneseTokenizer, news_articles: list[Article]
) -> IndexStore:
    store.add_articles(news_articles, tokenizer)
    return store


@pytest.fixture
def filled(db_path: Path, tokenizer: JapaneseTokenizer, news_articles: list[Article]) -> Path:
    """An index file holding the news articles (closed again)."""
    store = IndexStore.open(db_path)
    store.add_articles(news_articles, tokenizer)
    store.close()
    return db_path
