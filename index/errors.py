"""The core's exceptions: every message is written to be shown to a user as it is."""


class NewsIndexError(Exception):
    """Base class of every error the core raises on purpose."""


class InvalidQuery(NewsIndexError):
    """A question or query that cannot be searched (empty, symbols only, too long)."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason  # "empty" | "no_terms" | "too_long"


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
