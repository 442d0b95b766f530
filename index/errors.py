"""The core's exceptions: every message is written to be shown to a user as it is."""

from __future__ import annotations

from typing import Self

from index.messages import Lang, Msg, t


class NewsIndexError(Exception):
    """Base class of every error the core raises on purpose.

    One made with :meth:`keyed` holds a catalogue key (:mod:`index.messages`): :meth:`text`
    gives it in the user's language, ``str()`` in English (for logs and stored state).
    """

    key: str | None = None
    params: dict[str, object] = {}  # noqa: RUF012 - replaced per instance by keyed()

    @classmethod
    def keyed(cls, key: str, /, **params: object) -> Self:
        """The error whose message is ``key`` of the catalogue, formatted with ``params``."""
        error = cls(t("en", key, **params))
        error.key, error.params = key, dict(params)
        return error

    @property
    def msg(self) -> Msg | None:
        """The message as a catalogue key and its fields (None when raised with a text)."""
        return Msg(self.key, self.params) if self.key else None

    def text(self, lang: Lang) -> str:
        """The message in ``lang`` (as raised when it was not made with :meth:`keyed`)."""
        return t(lang, self.key, **self.params) if self.key else str(self)


class InvalidQuery(NewsIndexError):
    """A question or query that cannot be searched (empty, symbols only, too long)."""

    def __init__(self, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.reason = reason  # "empty" | "no_terms" | "too_long" | "not_utf8"

    @classmethod
    def because(cls, reason: str, key: str, /, **params: object) -> InvalidQuery:
        """The error for ``reason``, said by catalogue ``key`` with ``params``."""
        error = cls.keyed(key, **params)
        error.reason = reason
        return error


class ArticleParseError(NewsIndexError):
    """An article file or record that could not be understood; the message says why."""


class SchemaTooNew(NewsIndexError):
    """The database was written by a newer kiji than this one."""


class DatabaseError(NewsIndexError):
    """The database file is missing, unreadable, corrupted or not a kiji index."""


class FeedError(NewsIndexError):
    """A feed subscription problem (bad URL, unreachable, not a feed)."""


class UnsupportedDatabase(NewsIndexError):
    """A ``--db`` / ``KIJI_DB`` given as a URL that kiji cannot open as its index."""
