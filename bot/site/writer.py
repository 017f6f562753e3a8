"""Writing the site's files: only when their bytes changed, and atomically, so a web server never
serves a half-written page and an unchanged archive is not touched (mtimes, caches and rsync stay
quiet)."""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)

FILE_MODE = 0o644  # mkstemp creates 0600; the web server usually runs as another user


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write `data` to `path` unless the file already holds exactly these bytes; True if written.

    The comparison is with what is on disk, not with a remembered hash, so a file edited or
    damaged by hand is repaired on the next run. The new content goes to a temporary file in the
    same directory, is flushed to disk, and replaces the old one with one rename (atomic on POSIX).
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    except IsADirectoryError as exc:
        raise OSError(f"{path} is a directory, not a file") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    log.debug("site file written path=%s bytes=%d", path, len(data))
    return True
