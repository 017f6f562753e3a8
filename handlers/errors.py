"""Two kinds of errors: a UserError carries one sentence for the user; anything else gets the apology."""

from __future__ import annotations

from typing import Any, Protocol

from handlers.strings import t


class UserError(Exception):
    """Something the user can fix (bad id, bad time, not allowed): shown as one short sentence."""

    def __init__(self, key: str, **kw: Any) -> None:
        super().__init__(key)
        self.key = key
        self.kw = kw

    def message(self, language: str) -> str:
        """The sentence in the user's language."""
        return t(language, self.key, **self.kw)

    def __str__(self) -> str:
        return self.message("en")


def apology(language: str) -> str:
    """The fixed answer to an unexpected failure: no detail, never a traceback."""
    return t(language, "apology")


class Localized(Protocol):
    """An error of a lower layer (bot.digest.filters.FilterError, bot.search.SearchError) that says
    itself in either language."""

    key: str

    def message(self, language: str) -> str: ...


class LocalizedError(UserError):
    """A lower layer's one-sentence error, shown as a UserError in the user's language."""

    def __init__(self, error: Localized) -> None:
        super().__init__(error.key)
        self.error = error

    def message(self, language: str) -> str:
        """The lower layer's own sentence in `language`."""
        return self.error.message(language)
