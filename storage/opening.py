"""Opening the store from a configured path, with one readable error when that path is unusable."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from storage.store import Store

log = logging.getLogger(__name__)


class StoreOpenError(Exception):
    """`storage.path` names something SQLite cannot open or that is not a database; says which."""


def open_store_at(path: str | Path) -> Store:
    """Open (creating and migrating) the store at `path`; StoreOpenError names the path and why not,
    so callers need not know SQLite's exception types (only storage/ talks to sqlite3)."""
    try:
        return Store(path)
    except sqlite3.DatabaseError as exc:  # OperationalError too: "unable to open database file"
        reason = "it is a directory" if Path(path).is_dir() else str(exc)
    except OSError as exc:  # creating the parent folder: missing, read-only, a file in the way
        reason = exc.strerror or type(exc).__name__
        if exc.filename and str(exc.filename) != str(path):
            reason = f"{reason}: {exc.filename}"
    log.info("store.open_failed path=%s reason=%s", path, reason)
    raise StoreOpenError(f"cannot open the database {str(path)!r}: {reason}")
