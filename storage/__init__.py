"""Storage: the one package that writes SQL (sqlite-utils over one SQLite file)."""

from storage.store import Store

__all__ = ["Store"]
