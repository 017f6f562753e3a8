"""Storage: the one package that writes SQL (sqlite-utils over one SQLite file)."""

from storage.opening import StoreOpenError, open_store_at
from storage.store import Store

__all__ = ["Store", "StoreOpenError", "open_store_at"]
