"""Where backcoach keeps the person's own files, and how it writes them privately."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def data_dir() -> Path:
    """``$BACKCOACH_HOME``, else the user's data folder as platformdirs names it
    (``~/.local/share/backcoach`` on Linux, ``~/Library/Application Support/backcoach``
    on macOS, ``%LOCALAPPDATA%\\backcoach`` on Windows)."""
    if home := os.environ.get("BACKCOACH_HOME"):
        return Path(home)
    from platformdirs import user_data_dir

    return Path(user_data_dir("backcoach", appauthor=False))


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and missing parents) readable by the owner only."""
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
    return folder


def write_atomically(path: str | Path, data: bytes, *, mode: int = 0o666) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the whole new one:
    a temporary file in the same folder, flushed to disk, then renamed over it. ``mode``
    0o666 lets the umask decide, as for any file a person saves; 0o600 keeps it private.
    OSError when the folder is missing or not writable."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(path)}-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
