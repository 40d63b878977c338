"""Where backcoach keeps the person's own files, and how it writes them privately."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

LATEST_CASE = "latest-case.json"


def data_dir() -> Path:
    """``$BACKCOACH_HOME``, else the user data folder (``~/.local/share/backcoach``)."""
    if home := os.environ.get("BACKCOACH_HOME"):
        return Path(home)
    base = os.environ.get("XDG_DATA_HOME") or os.path.join(
        os.path.expanduser("~"), ".local", "share"
    )
    return Path(base) / "backcoach"


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and missing parents) readable by the owner only."""
    if not folder.is_dir():
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        folder.chmod(0o700)
    return folder


def write_private_json(path: Path, data: Any) -> None:
    """Write JSON readable by the owner only, atomically (never a half-written file)."""
    private_folder(path.parent)
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def latest_case() -> Path | None:
    """The answers of the person's latest interview, if it kept them."""
    path = data_dir() / LATEST_CASE
    return path if path.is_file() else None
